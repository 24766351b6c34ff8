# Install every package of this bundle, offline, checking each file's sha256.
#   .\install.ps1           into the Python on PATH (or $env:PYTHON)
#   .\install.ps1 VENV      into the virtual environment VENV (created if missing)
param([string]$Venv = "")
$ErrorActionPreference = "Stop"
$python = if ($env:PYTHON) { $env:PYTHON } else { "python" }
if ($Venv -ne "") {
    if (-not (Test-Path (Join-Path $Venv "Scripts\python.exe"))) {
        & $python -m venv $Venv
        if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    }
    $python = Join-Path $Venv "Scripts\python.exe"
}
& $python -m pip install --no-index --find-links $PSScriptRoot --require-hashes -r (Join-Path $PSScriptRoot "requirements.txt")
exit $LASTEXITCODE
