"""The report's file names, defined once and cheap to import (the command line's help names
them before anything heavy loads)."""

REPORT_MARKDOWN = "report.md"
REPORT_CSV = "report.csv"
REPORT_FIGURE = "report.png"
