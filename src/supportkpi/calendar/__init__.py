"""Business calendars: weekly schedules and holidays (:mod:`~supportkpi.calendar.schedule`),
business-time durations (:mod:`~supportkpi.calendar.business`) and the human durations of
config files (:mod:`~supportkpi.calendar.durations`).

The package itself imports nothing, so that a command reading a duration ("4h") does not
pay for the holiday calendars.
"""
