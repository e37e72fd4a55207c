"""One module per dashboard page; :mod:`supportkpi.web.dashboard.registry` lists them."""
