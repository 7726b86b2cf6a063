"""The one exception type for mistakes a user can fix (bad config, missing file, bad data)."""


class UserError(Exception):
    """Raised for problems the user can fix; the CLI prints the message alone and exits 2."""
