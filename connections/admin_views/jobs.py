"""(filled in by the jobs work of issue 9)"""


def urls(model_admin) -> list:
    return []
