"""The one exception type for mistakes a user can fix, and how the CLI reports it."""

import sys
from typing import NoReturn

EXIT_USER_ERROR = 2


class UserError(Exception):
    """Raised for problems the user can fix; the CLI prints the message alone and exits 2."""


def exit_with_user_error(error: UserError) -> NoReturn:
    """Print ``error`` as one line on stderr, then exit with status 2."""
    print(f"genclust: error: {error}", file=sys.stderr)
    sys.exit(EXIT_USER_ERROR)
