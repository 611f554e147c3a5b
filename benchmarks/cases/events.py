from pydantic import BaseModel


class Event(BaseModel):
    name: str
    city: str
