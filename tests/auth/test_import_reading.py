"""Reading account files as spreadsheets write them: encodings, delimiters, headers, limits."""

import codecs

import pytest

from academy.auth.importing import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    ImportRefused,
    ImportRow,
    read_account_file,
)

CHINESE_FILE = (
    "邮箱,姓名,角色,企业,时区,语言\r\nLi.Wei@Example.test,李伟,学生,,Asia/Shanghai,中文\r\n"
)


def test_utf8_with_english_headers() -> None:
    read = read_account_file(b"email,display name,account role\nmei@example.test,Mei,student\n")
    assert read.encoding == "utf-8" and read.delimiter == ","
    assert read.rows == [
        ImportRow(line=2, email="mei@example.test", display_name="Mei", account_role="student")
    ]


def test_utf8_with_bom_and_chinese_headers_as_excel_writes_them() -> None:
    read = read_account_file(codecs.BOM_UTF8 + CHINESE_FILE.encode())
    assert read.encoding == "utf-8"
    [row] = read.rows
    assert (row.email, row.display_name, row.account_role, row.timezone, row.locale) == (
        "li.wei@example.test",
        "李伟",
        "学生",
        "Asia/Shanghai",
        "中文",
    )


def test_gbk_from_a_chinese_excel_is_detected() -> None:
    read = read_account_file(CHINESE_FILE.encode("gbk"))
    assert read.encoding == "gb18030"
    assert read.rows[0].display_name == "李伟"


def test_utf16_unicode_text_with_tabs() -> None:
    read = read_account_file("email\tname\r\nmei@example.test\t梅\r\n".encode("utf-16"))
    assert (read.encoding, read.delimiter) == ("utf-16", "\t")
    assert read.rows[0].display_name == "梅"


def test_semicolons_crlf_blank_lines_and_trailing_spaces() -> None:
    data = (
        b"Email ; Display_Name ; Time Zone\r\n\r\n"
        b"  MEI@Example.TEST ;  Mei Lin  ; asia/shanghai \r\n;;\r\n"
        b'"ana@example.test";"Ana; Maria";\r\n'
    )
    read = read_account_file(data)
    assert read.delimiter == ";"
    assert [(row.line, row.email, row.display_name, row.timezone) for row in read.rows] == [
        (3, "mei@example.test", "Mei Lin", "asia/shanghai"),
        (5, "ana@example.test", "Ana; Maria", ""),
    ]


def test_a_comma_inside_a_quoted_name_does_not_fool_the_delimiter() -> None:
    read = read_account_file(b'email;name\nmei@example.test;"Lin, Mei"\n')
    assert read.delimiter == ";" and read.rows[0].display_name == "Lin, Mei"


def test_unknown_columns_are_reported_and_ignored() -> None:
    read = read_account_file(b"email,name,student number\nmei@example.test,Mei,2024001\n")
    assert read.ignored_columns == ["student number"]
    assert read.rows[0] == ImportRow(line=2, email="mei@example.test", display_name="Mei")


def test_a_short_row_leaves_the_missing_cells_blank() -> None:
    read = read_account_file(b"email,name,role,locale\nmei@example.test,Mei\n")
    assert read.rows[0].locale == "" and read.rows[0].account_role == ""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\r\n\r\n", "empty"),
        (b"email,name\r\n", "no rows"),
        (b"name,role\nMei,student\n", "email"),
        (b"email,role\nmei@example.test,student\n", "display name"),
        (b"email,name,mail\na@example.test,A,b@example.test\n", "twice"),
        (b"PK\x03\x04\x14\x00\x06\x00", "Excel workbook"),
        ("email,name\nmei@example.test,José Ñúñez\n".encode("cp1252"), "encoding"),
        (b"email,name\nmei@example.test,\x80\xff\xfe\n", "encoding"),
        (b"email,name\nmei@example.test,Mei\x00\n", "binary"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(ImportRefused) as refused:
        read_account_file(data)
    assert message in str(refused.value.message)


def test_gb18030_decoding_into_symbols_is_not_accepted_as_chinese() -> None:
    # Latin-1 accents followed by ASCII decode under GB18030 to characters, but rare ones.
    data = "email,name\nfr@example.test,Ãƒâ€šÃ‚Â\n".encode("cp1252", errors="ignore")
    with pytest.raises(ImportRefused):
        read_account_file(data)


def test_size_and_row_limits() -> None:
    header = b"email,name\n"
    too_many = header + b"".join(b"s%d@example.test,S\n" % n for n in range(MAX_ROWS + 1))
    with pytest.raises(ImportRefused) as refused:
        read_account_file(too_many)
    assert str(MAX_ROWS) in str(refused.value.message)
    assert (
        len(
            read_account_file(
                header + b"".join(b"s%d@example.test,S\n" % n for n in range(MAX_ROWS))
            ).rows
        )
        == MAX_ROWS
    )
    with pytest.raises(ImportRefused) as refused:
        read_account_file(header + b"x" * MAX_FILE_BYTES)
    assert "2 MB" in str(refused.value.message)
