from pydantic import BaseModel


class Citation(BaseModel):
    author: str
    year: int
    title: str
