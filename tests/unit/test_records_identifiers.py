"""Standard-number normalisers, on values as real catalogues write them (020/022/010/035)."""

import pytest
from stdnum import isbn as stdnum_isbn

from federator.records.identifiers import (
    normalise_isbn,
    normalise_issn,
    normalise_lccn,
    normalise_oclc,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0306406152", "9780306406157"),
        ("0-306-40615-2", "9780306406157"),
        ("978-0-306-40615-7 (pbk.)", "9780306406157"),
        ("0306406152 (v. 1)", "9780306406157"),
        ("ISBN 0 306 40615 2", "9780306406157"),
        ("URN:ISBN:9780306406157", "9780306406157"),
        # 020 $a values from the LoC and pymarc fixtures
        ("9780670026623 (alk. paper)", "9780670026623"),
        ("0914378295 (lim. ed.) (v. 1)", "9780914378297"),
        ("9796300036 (set)", "9789796300037"),
        ("080442957X", "9780804429573"),
        ("080442957x", "9780804429573"),
    ],
)
def test_isbn_valid_forms_become_isbn13(text, expected):
    assert normalise_isbn(text) == expected


@pytest.mark.parametrize(
    "text", [None, "", "123", "0306406153", "9780306406158", "087279811", "9770306406157", "pbk."]
)
def test_isbn_invalid_gives_none(text):
    assert normalise_isbn(text) is None


def test_isbn_check_digit_agrees_with_stdnum():
    candidates = ["0306406152", "9780306406157", "0914378287", "0914378260", "9781416500308",
                  "3716022543", "1558995099", "9790000000001", "0306406153", "9791234567890"]
    for number in candidates:
        expected = stdnum_isbn.to_isbn13(number) if stdnum_isbn.is_valid(number) else None
        assert normalise_isbn(number) == expected, number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0272-9172", "0272-9172"),  # Materials Research Society symposium proceedings (LoC 022)
        ("02729172", "0272-9172"),
        ("0750-6848", "0750-6848"),  # pymarc bad_marc8_escape.dat 022 $a
        ("ISSN 0000-006x", "0000-006X"),
        ("0068-1075 (print)", "0068-1075"),
        ("1234-5678", None),
        ("", None),
        (None, None),
    ],
)
def test_issn(text, expected):
    assert normalise_issn(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the examples of https://www.loc.gov/marc/lccn-namespace.html
        ("n78-890351", "n78890351"),
        ("n78-89035", "n78089035"),
        ("n 78890351 ", "n78890351"),
        (" 85000002 ", "85000002"),
        ("85-2 ", "85000002"),
        ("2001-000002", "2001000002"),
        ("75-425165//r75", "75425165"),
        (" 79139101 /AC/r932", "79139101"),
        # 010 $a as found in the fixtures
        ("   00000234 ", "00000234"),
        ("  2012035454", "2012035454"),
        ("sn 86012976", "sn86012976"),
        ("   61014599/L/r83", "61014599"),
        ("   b82004255 ", "b82004255"),
        ("", None),
        ("not an lccn", None),
    ],
)
def test_lccn(text, expected):
    assert normalise_lccn(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(OCoLC)ocm09268563", "9268563"),
        ("(OCoLC)ocn317738727", "317738727"),
        ("(OCoLC)on1234567890", "1234567890"),
        ("(OCoLC)1190262", "1190262"),
        ("(OCoLC) 00012345", "12345"),
        ("ocn317738727", "317738727"),
        ("ocm00400866", "400866"),
        ("12345", "12345"),
        ("(DLC)   77017192", None),
        ("(Sirsi) AGO-1188", None),
        ("()0674580567", None),
        ("ocmDCLC6114599B", None),
        ("(OCoLC)", None),
        ("(OCoLC)000", None),
        (None, None),
    ],
)
def test_oclc(text, expected):
    assert normalise_oclc(text) == expected
