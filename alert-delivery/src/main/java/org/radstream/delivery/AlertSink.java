package org.radstream.delivery;

import org.radstream.avro.ProgressionAlert;

/** Somewhere an alert is delivered to: a clinician-facing channel. */
public interface AlertSink {

    /** A short name for logs and metrics. */
    String name();

    /**
     * Delivers one alert. Returns normally only when the receiving side accepted it.
     *
     * @throws DeliveryException when it did not; {@link DeliveryException#retriable()} says
     *                           whether trying again may help
     */
    void deliver(ProgressionAlert alert) throws DeliveryException;
}
