"""The request signature, checked against md5 computed step by step in each test."""

from __future__ import annotations

import hashlib

import pytest

from gateway.model import Customer
from gateway.specter.actions import ACTIONS, customer_name, find_action, signed_value
from gateway.specter.forms import customer_form
from gateway.specter.signing import EncodingProblem, latin1, sign

SBM_ID = 4711
USER_KEY = "apiuserkey-123"
INTEGRATION_KEY = "integrationkey-456"


def by_hand(value: bytes) -> str:
    inner = hashlib.md5(USER_KEY.encode("latin-1") + b"4711" + value).hexdigest()
    return hashlib.md5(INTEGRATION_KEY.encode("latin-1") + inner.encode("ascii")).hexdigest()


def test_fixed_digest_for_an_order():
    # Computed once by hand: md5("apiuserkey-123" "4711" "1001") = ca90b8794ab55b770a4b63bdbabd0b0a,
    # then md5("integrationkey-456" "ca90b879…0b0a").
    assert sign(SBM_ID, USER_KEY, INTEGRATION_KEY, "1001") == "c553846888a2246f8363e7a6e0a8262b"


def test_an_order_is_signed_with_its_customer_id():
    params = {"customerId": "1001", "externalOrderNo": "WC-55"}
    value = signed_value(ACTIONS["newOrderSubmit"], params)
    assert value == "1001"
    assert sign(SBM_ID, USER_KEY, INTEGRATION_KEY, value) == by_hand(b"1001")


def form_of(customer: Customer) -> dict[str, str]:
    return customer_form(customer, ignore_control_email=False, ignore_control_org_no=False, force_update=False)


def test_a_company_customer_is_signed_with_the_company_name():
    customer = Customer(first_name="Anna", last_name="Ek", company="Ek & Son AB", email="a@ek.se")
    value = signed_value(ACTIONS["newCustomerSubmit"], form_of(customer))
    assert value == "Ek & Son AB"
    assert sign(SBM_ID, USER_KEY, INTEGRATION_KEY, value) == by_hand(b"Ek & Son AB")


def test_a_person_is_signed_with_first_and_last_name():
    customer = Customer(first_name="Anna", last_name="Ek", email="a@ek.se")
    value = signed_value(ACTIONS["newCustomerSubmit"], form_of(customer))
    assert value == "Anna Ek"
    assert sign(SBM_ID, USER_KEY, INTEGRATION_KEY, value) == by_hand(b"Anna Ek")


def test_an_article_submit_is_signed_with_the_first_article_number():
    params = {"articleNo_1": "TS-RED-M", "articleNo_2": "TS-RED-L"}
    value = signed_value(ACTIONS["newArticleSubmit"], params)
    assert sign(SBM_ID, USER_KEY, INTEGRATION_KEY, value) == by_hand(b"TS-RED-M")


@pytest.mark.parametrize(
    "action",
    [
        "getArticleExternalNeedUpdate",
        "updateArticlesFromBatch",
        "getArticleInfoExternalNeedUpdate",
        "updateArticleInfosFromBatch",
        "getOrdersExternalNeedUpdate",
        "updateOrdersFromBatch",
        "clearArticleBatch",
    ],
)
def test_batch_calls_are_signed_with_the_batch_number(action):
    value = signed_value(ACTIONS[action], {"batchNo": "b-20240101-1"})
    assert sign(SBM_ID, USER_KEY, INTEGRATION_KEY, value) == by_hand(b"b-20240101-1")


def test_check_account_settings_is_signed_with_the_date():
    value = signed_value(ACTIONS["checkAccountSettings"], {"date": "2024-03-05", "actionStockChange": "x"})
    assert sign(SBM_ID, USER_KEY, INTEGRATION_KEY, value) == by_hand(b"2024-03-05")


def test_deliveries_and_invoices_are_signed_with_the_order_id():
    for action in ("newDeliverySubmit", "newInvoiceSubmit"):
        value = signed_value(ACTIONS[action], {"orderId": "88123"})
        assert sign(SBM_ID, USER_KEY, INTEGRATION_KEY, value) == by_hand(b"88123")


def test_action_names_are_case_insensitive():
    assert find_action("NEWORDERSUBMIT") is ACTIONS["newOrderSubmit"]
    assert find_action("getinfo") is None


def test_swedish_letters_are_signed_as_latin1_bytes():
    digest = sign(SBM_ID, USER_KEY, INTEGRATION_KEY, "Åsa Öberg")
    assert "Åsa Öberg".encode("latin-1") != "Åsa Öberg".encode()
    assert digest == by_hand("Åsa Öberg".encode("latin-1"))
    assert digest != by_hand("Åsa Öberg".encode())


def test_customer_name_falls_back_to_first_and_last():
    assert customer_name({"firstName": "Åsa", "surName": "Öberg"}) == "Åsa Öberg"
    assert customer_name({"name": "Öberg AB", "firstName": "Åsa"}) == "Öberg AB"


@pytest.mark.parametrize("text, char", [("Pris 10 €", "€"), ("茶叶", "茶")])
def test_a_character_latin1_cannot_hold_is_an_error_naming_the_field(text, char):
    with pytest.raises(EncodingProblem) as info:
        latin1(text, "name_3")
    assert info.value.field == "name_3"
    assert "name_3" in str(info.value) and char in str(info.value)


def test_signing_an_unencodable_value_fails_instead_of_signing_a_question_mark():
    with pytest.raises(EncodingProblem):
        sign(SBM_ID, USER_KEY, INTEGRATION_KEY, "Café € Bar")
