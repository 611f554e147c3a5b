from datetime import date, time

from pydantic import BaseModel


class CalendarEvent(BaseModel):
    title: str
    day: date
    starts_at: time | None = None
    location: str | None = None
