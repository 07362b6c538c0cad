"""Pages of the connected-accounts admin beyond Django's own, one module a job.

Each module's ``urls(model_admin)`` returns its paths; ``ConnectedAccountAdmin
.get_urls`` puts them before the admin's own, inside ``admin_view`` (staff
login, CSRF, no caching).  Each view checks the model permissions it needs.
"""
