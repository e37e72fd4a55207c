"""Reports rendered for people (HTML, PDF, charts) and sent: e-mail over SMTP and webhooks.

This layer sits above the dashboard so that a mailed chart is drawn from the dashboard's own
Vega-Lite specs. Sending retries a bounded number of times and fails with one
:class:`~supportkpi.errors.DeliveryError` line; it records nothing (the schedule layer does).
"""
