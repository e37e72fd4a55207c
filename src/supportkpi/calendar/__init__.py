"""Business calendars: weekly schedules, holidays and business-time durations."""

from supportkpi.calendar.business import with_business_seconds
from supportkpi.calendar.schedule import BusinessHours, Schedule, load_business_hours

__all__ = ["BusinessHours", "Schedule", "load_business_hours", "with_business_seconds"]
