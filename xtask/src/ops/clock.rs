//! The clock: `SOURCE_DATE_EPOCH` or the current time, and UTC calendar dates of unix times.

/// `SOURCE_DATE_EPOCH`, when set (an invalid value is a usage error naming it).
pub fn source_date_epoch() -> anyhow::Result<Option<i64>> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(s) if !s.trim().is_empty() => s.trim().parse::<i64>().map(Some).map_err(|_| {
            crate::error::input_error(format!("SOURCE_DATE_EPOCH={s:?} is not a number of seconds since 1970"))
        }),
        _ => Ok(None),
    }
}

/// `SOURCE_DATE_EPOCH`, else the current time.
pub fn now() -> anyhow::Result<i64> {
    Ok(source_date_epoch()?.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    }))
}

/// `YYYY-MM-DD` in UTC of a unix time.
pub fn iso_date(unix_time: i64) -> String {
    let (y, m, d) = civil_date(unix_time);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DDTHH:MM:SSZ` (ISO 8601, UTC) of a unix time.
pub fn iso_timestamp(unix_time: i64) -> String {
    let secs = unix_time.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        iso_date(unix_time),
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// `(year, month, day)` in UTC of a unix time (Howard Hinnant's civil-from-days).
pub fn civil_date(unix_time: i64) -> (i64, u32, u32) {
    let days = unix_time.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(civil_date(1_795_219_200), (2026, 11, 21));
        assert_eq!(civil_date(951_782_400), (2000, 2, 29));
    }
}
