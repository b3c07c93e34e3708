"""The import dialog's option labels, shared by the dialog and the messages that point at
them (so a renamed option cannot leave a message naming the old one)."""

FEATURES = "Feature columns"
TASK = "Task"
MISSING_ERROR = "Report them"
MISSING_DROP = "Skip rows with a missing value"
MISSING_MEAN = "Fill in the column mean"
BAD_ROWS = "Rows that don't parse"
BAD_ROWS_ERROR = "Report the first one"
BAD_ROWS_SKIP = "Skip them"
