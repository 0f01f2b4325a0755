"""What the security helpers share for reading a SIP message's text."""


def header_lines(msg, names):
    """The header lines of msg whose name (lower case) is one of names."""
    for line in msg.split("\r\n")[1:]:
        if not line:
            break
        if line.partition(":")[0].strip().lower() in names:
            yield line
