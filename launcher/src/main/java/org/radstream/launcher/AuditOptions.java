package org.radstream.launcher;

import picocli.CommandLine.Option;

/**
 * Where a service's audit trail goes (IHE ATNA audit record repository); shared by ingest, export,
 * streams, deliver, trainer, {@code models promote}, {@code label submit|withdraw} and {@code series withdraw}.
 */
final class AuditOptions {
    static final String ENV_AUDIT_REPOSITORY = "RADSTREAM_AUDIT_REPOSITORY";

    @Option(names = "--audit-repository", defaultValue = "${env:" + ENV_AUDIT_REPOSITORY + "}", paramLabel = "udp|tls://HOST:PORT",
            description = "Audit record repository (IHE ATNA) the service's audit trail is sent to, as RFC 5424 syslog over "
                    + "UDP (udp://) or TLS (tls://, trusting and presenting the JVM's javax.net.ssl key and trust stores) "
                    + "carrying DICOM audit messages: ingest, the studies received from whom and the callers refused; "
                    + "export, the studies sent to the PACS; streams, each patient record the API disclosed and each "
                    + "request refused; deliver, each alert sent; trainer, each label submitted or withdrawn over HTTP, "
                    + "each model version it announced and each request refused; models promote, the version "
                    + "promoted and who decided it; label submit and withdraw without --trainer-url, the label sent "
                    + "or withdrawn and by whom; series withdraw, the series and who withdrew them (env "
                    + ENV_AUDIT_REPOSITORY + "). Unset: none.")
    String repository;
}
