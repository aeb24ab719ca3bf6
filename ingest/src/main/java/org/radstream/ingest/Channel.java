package org.radstream.ingest;

/** How an instance reached radstream; recorded as {@code receivedVia} on dead letters. */
public enum Channel {
    C_STORE("c-store"),
    STOW_RS("stow-rs"),
    IMPORT("import");

    private final String wireName;

    Channel(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }
}
