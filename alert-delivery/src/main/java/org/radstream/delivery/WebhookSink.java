package org.radstream.delivery;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.radstream.avro.ProgressionAlert;

/**
 * POSTs each alert as JSON ({@link AlertText#json}) to a clinician-facing endpoint. The alert id
 * ({@link AlertText#idempotencyKey}: a retraction's differs from its alert's) travels as
 * {@code Idempotency-Key}, so a receiver can drop the copy a crash between its
 * acceptance and our offset commit may cause. 2xx is accepted; 408, 429 and 5xx, timeouts and
 * refused connections are retriable; other 4xx mean the receiver will never take this alert. With a
 * {@link WebhookSigner}, each request carries its timestamp and signature.
 */
public final class WebhookSink implements AlertSink {
    private final URI url;
    private final Duration timeout;
    private final HttpClient http;
    private final WebhookSigner signer;
    private final double reviewBelow;

    public WebhookSink(URI url, Duration timeout) {
        this(url, timeout, null);
    }

    /** A sink whose requests {@code signer} signs (null: unsigned). */
    public WebhookSink(URI url, Duration timeout, WebhookSigner signer) {
        this(url, timeout, signer, AlertText.REVIEW_BELOW);
    }

    /**
     * A sink whose requests {@code signer} signs (null: unsigned), advising a look at the images
     * ({@code reviewAdvised}) below infection stability {@code reviewBelow} (0: never).
     */
    public WebhookSink(URI url, Duration timeout, WebhookSigner signer, double reviewBelow) {
        this.url = url;
        this.timeout = timeout;
        this.signer = signer;
        this.reviewBelow = AlertText.checkReviewBelow(reviewBelow);
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    @Override
    public String name() {
        return "webhook";
    }

    @Override
    public void deliver(ProgressionAlert alert) throws DeliveryException {
        String json = AlertText.json(alert, reviewBelow);
        HttpRequest.Builder builder = HttpRequest.newBuilder(url)
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", AlertText.idempotencyKey(alert))
                .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8));
        if (signer != null) {
            String[] signed = signer.sign(json);
            builder.header(WebhookSigner.TIMESTAMP_HEADER, signed[0]).header(WebhookSigner.SIGNATURE_HEADER, signed[1]);
        }
        HttpRequest request = builder.build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new DeliveryException("POST " + url + " failed: " + e, true, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeliveryException("interrupted while posting to " + url, true, e);
        }
        int status = response.statusCode();
        if (status / 100 == 2) {
            return;
        }
        boolean retriable = status == 408 || status == 429 || status >= 500;
        String body = response.body() == null ? "" : response.body();
        throw new DeliveryException("POST " + url + " answered HTTP " + status
                + (body.isBlank() ? "" : ": " + body.substring(0, Math.min(200, body.length()))), retriable);
    }
}
