package org.radstream.schemas;

import org.apache.avro.Schema;

/** A schema as registered: its subject, version within the subject and global id. */
public record RegisteredSchema(String subject, int version, int id, Schema schema) {
}
