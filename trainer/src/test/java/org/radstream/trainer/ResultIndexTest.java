package org.radstream.trainer;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.radstream.schemas.KafkaClientConfig;
import org.radstream.schemas.SchemaStore;
import org.radstream.schemas.TopicScan;
import org.radstream.schemas.Topics;

class ResultIndexTest {
    @Test
    void aStartThatCannotReachKafkaFailsWithTheReasonAndIsTriedAgainAtTheNextRequest() {
        Topics topics = new Topics(new SchemaStore(), Topics.DEFAULT_PARTITIONS);
        int[] opened = {0};
        try (ResultIndex index = new ResultIndex(() -> {
            opened[0]++;
            return TopicScan.consumer("127.0.0.1:1", KafkaClientConfig.NONE); // nothing listens there
        }, topics.results(), Duration.ofDays(30))) {
            for (int attempt = 1; attempt <= 2; attempt++) {
                assertThatThrownBy(() -> index.newest("infection", Instant.EPOCH, Duration.ofMillis(300), Instant.now()))
                        .isInstanceOf(org.apache.kafka.common.errors.TimeoutException.class);
                org.assertj.core.api.Assertions.assertThat(opened[0]).as("consumers opened").isEqualTo(attempt);
            }
        }
    }
}
