"""What the report checkers (check_junit.py, check_dom.py) share: the
errors they found, said one a line after the checker's name, and the exit
status they make."""


def report(checker, errors):
    for e in errors:
        print(f"{checker}:", e)
    return 1 if errors else 0
