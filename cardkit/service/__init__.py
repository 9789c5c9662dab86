"""The counter service (`cardkit serve`): HTTP API, teller page, progress events, audit hook.

`app.create_app(ServiceConfig(...))` builds the FastAPI app; `workflow` is the one adapter to the
library's verification workflow.
"""
