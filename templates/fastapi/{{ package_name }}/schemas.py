"""Request and response bodies, validated and documented by pydantic."""

from pydantic import BaseModel, ConfigDict, Field


class ItemCreate(BaseModel):
    """What a client sends to create an item."""

    name: str = Field(min_length=1, max_length=100, examples=["Hammer"])
    description: str | None = Field(default=None, max_length=1000)


class ItemRead(ItemCreate):
    """An item as the API returns it."""

    # Lets `model_validate` read the attributes of an ORM object.
    model_config = ConfigDict(from_attributes=True)

    id: int


class PageParams(BaseModel):
    """Query parameters that select one page of a list."""

    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=20, ge=1, le=100)


class ApiInfo(BaseModel):
    """What the root URL says about the API."""

    name: str
    docs_url: str | None
    debug: bool
