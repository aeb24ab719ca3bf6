package org.radstream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class StowMultipartTest {

    @Test
    void splitsPartsWithHeadersAndBinaryBodiesContainingCrLf() throws Exception {
        byte[] one = {0, 1, '\r', '\n', '-', '-', 2};
        byte[] two = "second".getBytes(StandardCharsets.US_ASCII);
        String body = "preamble\r\n--B\r\nContent-Type: application/dicom\r\nContent-Location: x\r\n\r\n"
                + new String(one, StandardCharsets.ISO_8859_1) + "\r\n--B\r\nContent-Type: application/dicom\r\n\r\n"
                + "second\r\n--B--\r\nepilogue";
        List<MultipartRelated.Part> parts = MultipartRelated.parse(
                "Multipart/Related; boundary=\"B\"; type=\"application/dicom\"", body.getBytes(StandardCharsets.ISO_8859_1));
        assertThat(parts).hasSize(2);
        assertThat(parts.get(0).body()).containsExactly(one);
        assertThat(parts.get(0).headers()).containsEntry("content-type", "application/dicom").containsEntry("content-location", "x");
        assertThat(parts.get(1).body()).containsExactly(two);
    }

    @Test
    void refusesWrongMediaTypesWith415AndBrokenFramingWith400() {
        assertStatus("application/dicom", "x", 415);
        assertStatus("multipart/related; type=\"application/dicom+json\"; boundary=a", "--a--", 415);
        assertStatus("multipart/related; type=\"application/dicom\"", "--a--", 400);
        assertStatus("multipart/related; boundary=a", "--a\r\nContent-Type: application/dicom\r\n\r\nno end", 400);
        assertStatus("multipart/related; boundary=a", "--a--", 400);
    }

    private static void assertStatus(String contentType, String body, int status) {
        assertThatThrownBy(() -> MultipartRelated.parse(contentType, body.getBytes(StandardCharsets.US_ASCII)))
                .isInstanceOfSatisfying(MultipartRelated.MalformedException.class, e -> assertThat(e.httpStatus).isEqualTo(status));
    }

    @Test
    void responseStatusAndJsonFollowPs318() {
        Outcome stored = new Outcome(0, null, "1.2.840.10008.5.1.4.1.1.2", "1.2.3", "1.2", "1", false);
        Outcome duplicate = new Outcome(0, null, "1.2.840.10008.5.1.4.1.1.2", "1.2.4", "1.2", "1", true);
        Outcome failed = new Outcome(DimseStatus.DATA_SET_DOES_NOT_MATCH, "Modality is \"MR\"", "1.2.840.10008.5.1.4.1.1.4", "9.9", "9", "8", false);
        Outcome garbage = new Outcome(DimseStatus.CANNOT_UNDERSTAND, "not DICOM", null, null, null, null, false);
        assertThat(StowResponse.httpStatus(List.of(stored, duplicate))).isEqualTo(200);
        assertThat(StowResponse.httpStatus(List.of(stored, failed))).isEqualTo(202);
        assertThat(StowResponse.httpStatus(List.of(failed, garbage))).isEqualTo(409);
        assertThat(StowResponse.json(List.of(stored, failed, garbage))).isEqualTo("{"
                + "\"00081198\":{\"vr\":\"SQ\",\"Value\":["
                + "{\"00081150\":{\"vr\":\"UI\",\"Value\":[\"1.2.840.10008.5.1.4.1.1.4\"]},\"00081155\":{\"vr\":\"UI\",\"Value\":[\"9.9\"]},"
                + "\"00081197\":{\"vr\":\"US\",\"Value\":[43264]}},"
                + "{\"00081197\":{\"vr\":\"US\",\"Value\":[49152]}}]},"
                + "\"00081199\":{\"vr\":\"SQ\",\"Value\":["
                + "{\"00081150\":{\"vr\":\"UI\",\"Value\":[\"1.2.840.10008.5.1.4.1.1.2\"]},\"00081155\":{\"vr\":\"UI\",\"Value\":[\"1.2.3\"]}}]}}");
        assertThat(StowResponse.quote("a\"b\\c\n")).isEqualTo("\"a\\\"b\\\\c\\n\"");
    }

    @Test
    void cStoreResponseCarriesStatusAndErrorComment() {
        byte[] rsp = DimseResponses.cStore("1.2", "1.2.3", 7, DimseStatus.BAD_PIXEL_DATA, "no PixelData");
        // group length (0000,0000) = bytes after it
        int groupLength = (rsp[8] & 0xff) | (rsp[9] & 0xff) << 8 | (rsp[10] & 0xff) << 16 | (rsp[11] & 0xff) << 24;
        assertThat(groupLength).isEqualTo(rsp.length - 12);
        String text = new String(rsp, StandardCharsets.ISO_8859_1);
        assertThat(text).contains("no PixelData");
        // status element (0000,0900) US 0xC002
        int i = indexOf(rsp, new byte[] {0, 0, 0, 9, 2, 0, 0, 0});
        assertThat(i).isPositive();
        assertThat((rsp[i + 8] & 0xff) | (rsp[i + 9] & 0xff) << 8).isEqualTo(0xC002);
    }

    private static int indexOf(byte[] data, byte[] pattern) {
        return MultipartRelated.indexOf(data, pattern, 0);
    }
}
