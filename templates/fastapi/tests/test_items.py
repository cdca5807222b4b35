"""The example item resource."""

from fastapi.testclient import TestClient


def test_created_item_can_be_read_back(client: TestClient) -> None:
    created = client.post("/items", json={"name": "Hammer", "description": "Drives"})

    assert created.status_code == 201
    item = created.json()
    assert item == {"id": item["id"], "name": "Hammer", "description": "Drives"}
    assert client.get(f"/items/{item['id']}").json() == item


def test_missing_item_is_not_found(client: TestClient) -> None:
    response = client.get("/items/999999")

    assert response.status_code == 404
    assert response.json() == {"detail": "Item not found"}


def test_list_pages_through_items_oldest_first(client: TestClient) -> None:
    for name in ("first", "second", "third"):
        client.post("/items", json={"name": name})

    everything = client.get("/items").json()
    page = client.get("/items", params={"offset": 1, "limit": 1}).json()

    assert [item["name"] for item in everything] == ["first", "second", "third"]
    assert [item["name"] for item in page] == ["second"]


def test_invalid_input_is_rejected(client: TestClient) -> None:
    assert client.post("/items", json={"name": ""}).status_code == 422
    assert client.get("/items", params={"limit": 0}).status_code == 422
