"""Shared unit-test fixtures."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.servers import stop_process

# A small CQL-to-PQF mapping for yaz-ztest (format of YAZ's etc/pqf.properties). bath.isbn, the
# `adj` relation and most modifiers are deliberately absent, so the server answers them with its
# real diagnostics 1/16, 1/19, 1/20 and 1/46.
ZTEST_CQL2PQF = """\
set.cql = info:srw/cql-context-set/1/cql-v1.2
set.dc = info:srw/cql-context-set/1/dc-v1.1
set.bath = http://zing.z3950.org/cql/bath/2.0/
set = info:srw/cql-context-set/1/dc-v1.1
index.cql.serverChoice = 1=1016
index.dc.title = 1=4
index.dc.creator = 1=1003
index.dc.subject = 1=21
index.dc.date = 1=31
relation.< = 2=1
relation.le = 2=2
relation.eq = 2=3
relation.ge = 2=4
relation.> = 2=5
relation.all = 4=6
relation.any = 4=105
relation.scr = 2=3
position.any = 3=3 6=1
structure.* = 4=1
truncation.right = 5=1
truncation.none = 5=100
always = 6=1
"""

# What yaz-ztest serves for recordSchema=dc at positions 1 and 2 (YAZ_ZTEST_XML_FETCH files).
ZTEST_DC_RECORD = """\
<srw_dc:dc xmlns:srw_dc="info:srw/schema/1/dc-schema" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <dc:title>Laskar pelangi</dc:title><dc:creator>Hirata, Andrea</dc:creator><dc:date>2005</dc:date>
  <dc:identifier>URN:ISBN:9793062797</dc:identifier><dc:language>ind</dc:language>
</srw_dc:dc>
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def sru_ztest(tmp_path_factory) -> str:
    """Base URL of a real SRU server: YAZ's yaz-ztest (Debian package `yaz`) on a free loopback port.

    It answers SRU 1.1, 1.2 and 2.0, GET and POST, converting CQL to RPN with ZTEST_CQL2PQF. Its
    hit count is the leading number of the first term ("dc.title = 5" finds 5); its records are
    YAZ's built-in MARC test records as MARCXML (it labels every record marcxml, whatever it
    sends); recordSchema=dc gives ZTEST_DC_RECORD at positions 1-2 and surrogate diagnostic 1/63
    elsewhere; positions past the hit count give diagnostic 1/61; an unknown database path 404.
    """
    exe = shutil.which("yaz-ztest")
    if exe is None:
        pytest.fail("yaz-ztest not found: install the Debian package 'yaz'")
    work: Path = tmp_path_factory.mktemp("sru-ztest")
    (work / "cql2pqf.properties").write_text(ZTEST_CQL2PQF)
    for position in (1, 2):
        (work / f"rec-dc.{position}.xml").write_text(ZTEST_DC_RECORD)
    port = _free_port()
    (work / "gfs.xml").write_text(
        f'<yazgfs><listen id="l">tcp:127.0.0.1:{port}</listen>'
        f'<server id="s" listenref="l"><cql2rpn>{work / "cql2pqf.properties"}</cql2rpn></server></yazgfs>')
    env = {**os.environ, "YAZ_ZTEST_XML_FETCH": f"{work}/rec-"}
    proc = subprocess.Popen([exe, "-S", "-f", str(work / "gfs.xml"), "-l", str(work / "ztest.log")],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log = (work / "ztest.log").read_text(errors="replace") if (work / "ztest.log").exists() else ""
                    pytest.fail(f"yaz-ztest did not start on port {port}: {log}")
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/Default"
    finally:
        stop_process(proc)
