"""The adapters' shared errors, in a module that imports nothing.

`backends` raise `RegisterLocked` when a workbook is open in Excel; `lock` raises its subclass
`RunLocked` when another run holds the register. Both import it from here, so neither imports
the other (they used to, both ways).
"""


class BackendError(Exception):
    """The register cannot be read or written; the message says what to do."""


class RegisterLocked(BackendError):
    """Somebody has the workbook open (Excel/LibreOffice lock file), or another run holds it."""
