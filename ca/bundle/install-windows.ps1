# install-windows.ps1 - trust the "@NAME@" root certificate on this PC.
#
# Written by minica.  Checks that @NAME@.cer (next to this script) has the
# SHA-256 fingerprint below, then adds it to the machine's trusted roots
# (Cert:\LocalMachine\Root), which Edge, Chrome, Outlook and Windows Mail
# use.  Running it again changes nothing.  From an elevated PowerShell:
#
#   powershell -ExecutionPolicy Bypass -File .\install-windows.ps1
#   powershell -ExecutionPolicy Bypass -File .\install-windows.ps1 -Uninstall
#
# Expected SHA-256 fingerprint: @FPR_GROUPED@
param([switch]$Uninstall)
$ErrorActionPreference = 'Stop'

$Name = '@NAME@'
$Expected = '@FPR@'
# Windows names certificates by their SHA-1 thumbprint.
$Thumbprint = '@SHA1@'.ToUpperInvariant()
$Cer = Join-Path $PSScriptRoot "$Name.cer"

function Get-Installed {
    Get-ChildItem -Path Cert:\LocalMachine\Root |
        Where-Object { $_.Thumbprint -eq $Thumbprint }
}

Write-Output "${Name}: SHA-256 $Expected"
if ($Uninstall) {
    $found = Get-Installed
    if (-not $found) { Write-Output 'not installed'; exit 0 }
    try { $found | Remove-Item }
    catch {
        & certutil.exe -delstore Root $Thumbprint
        if ($LASTEXITCODE -ne 0) { throw "certutil -delstore Root failed" }
    }
    Write-Output 'removed from Cert:\LocalMachine\Root'
    exit 0
}

if (-not (Test-Path -LiteralPath $Cer)) {
    throw "cannot find '$Cer': keep this script next to it"
}
$got = (Get-FileHash -Algorithm SHA256 -LiteralPath $Cer).Hash.ToLowerInvariant()
if ($got -ne $Expected) {
    Write-Error "'$Cer' is not the expected certificate (SHA-256 $Expected, found $got): refusing to install it"
    exit 1
}
if (Get-Installed) { Write-Output 'already in Cert:\LocalMachine\Root'; exit 0 }
try {
    Import-Certificate -FilePath $Cer -CertStoreLocation Cert:\LocalMachine\Root | Out-Null
} catch {
    # No PKI module (older Windows, some PowerShell 7 setups): certutil.
    & certutil.exe -addstore Root $Cer
    if ($LASTEXITCODE -ne 0) { throw "certutil -addstore Root failed" }
}
Write-Output 'added to Cert:\LocalMachine\Root'
