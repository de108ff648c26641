<?xml version="1.0" encoding="UTF-8"?>
<!-- MARCXML with Koha 952 items -> YAZ's OPAC XML (opacxml.xsd), for the test Zebra servers.
     952: $a branch -> localLocation, $c shelving location, $o call number, $p barcode -> itemId,
     $q date due (on loan) and $7 not for loan -> availableNow 0. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:marc="http://www.loc.gov/MARC21/slim" exclude-result-prefixes="marc">
  <xsl:output method="xml" indent="yes" encoding="UTF-8"/>
  <xsl:template match="/marc:record">
    <opacRecord>
      <bibliographicRecord>
        <xsl:copy-of select="."/>
      </bibliographicRecord>
      <holdings>
        <xsl:for-each select="marc:datafield[@tag='952']">
          <holding>
            <localLocation><xsl:value-of select="marc:subfield[@code='a']"/></localLocation>
            <xsl:if test="marc:subfield[@code='c']">
              <shelvingLocation><xsl:value-of select="marc:subfield[@code='c']"/></shelvingLocation>
            </xsl:if>
            <callNumber><xsl:value-of select="marc:subfield[@code='o']"/></callNumber>
            <circulations>
              <circulation>
                <xsl:choose>
                  <xsl:when test="marc:subfield[@code='q'] or marc:subfield[@code='7'][. != '0']">
                    <availableNow value="0"/>
                  </xsl:when>
                  <xsl:otherwise>
                    <availableNow value="1"/>
                  </xsl:otherwise>
                </xsl:choose>
                <xsl:if test="marc:subfield[@code='q']">
                  <availabilityDate><xsl:value-of select="marc:subfield[@code='q']"/></availabilityDate>
                </xsl:if>
                <itemId><xsl:value-of select="marc:subfield[@code='p']"/></itemId>
                <renewable value="0"/>
                <onHold value="0"/>
              </circulation>
            </circulations>
          </holding>
        </xsl:for-each>
      </holdings>
    </opacRecord>
  </xsl:template>
</xsl:stylesheet>
