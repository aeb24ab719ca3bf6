"""Reads radstream's embedded registry and one of our records with clients radstream did not write.

usage: read_with_confluent.py REGISTRY_URL SCHEMA_ID RECORD_FILE
Prints the subjects (one line, comma-separated), then the decoded record as JSON.
"""
import io
import json
import sys

import avro.io
import avro.schema
from confluent_kafka.schema_registry import SchemaRegistryClient

url, schema_id, record_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
client = SchemaRegistryClient({"url": url})
print(",".join(client.get_subjects()))
schema = client.get_schema(schema_id)
data = open(record_file, "rb").read()
assert data[0] == 0, "magic byte"
assert int.from_bytes(data[1:5], "big") == schema_id, "schema id in the header"
reader = avro.io.DatumReader(avro.schema.parse(schema.schema_str))
record = reader.read(avro.io.BinaryDecoder(io.BytesIO(data[5:])))
record.pop("failedAt", None)  # a datetime: not JSON
print(json.dumps(record, sort_keys=True))
