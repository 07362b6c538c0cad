"""(filled in by the reveal work of issue 9)"""


def urls(model_admin) -> list:
    return []
