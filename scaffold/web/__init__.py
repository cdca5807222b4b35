"""``scaffold serve``: the local web page and HTTP API that choose, preview and download a starter.

Built on the library the command line uses (the criteria, the recommender, the
option checks and ``project.render``); Starlette and uvicorn, from the ``web``
extra, are imported only by the modules that serve HTTP.
"""
