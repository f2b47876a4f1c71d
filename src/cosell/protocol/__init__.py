"""The AWS wire: the only code that reads or writes request and response bytes."""
