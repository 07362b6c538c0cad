"""(filled in by the reconnect work of issue 9)"""


def urls(model_admin) -> list:
    return []
