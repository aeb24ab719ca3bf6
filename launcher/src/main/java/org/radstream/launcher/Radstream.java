package org.radstream.launcher;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code radstream} command: wires subcommands, nothing else. */
@Command(name = "radstream", mixinStandardHelpOptions = true, version = "radstream 0.1.0",
        description = "Streaming radiology AI pipeline on Apache Kafka.",
        subcommands = {DemoCommand.class, PlatformCommand.class, CohortCommand.class, EvalCommand.class, CompareCommand.class, WorkerCommand.class, TrainCommand.class, LabelCommand.class, IngestCommand.class, StreamsCommand.class, DeliverCommand.class, ExportCommand.class, TrainerCommand.class, ModelsCommand.class, SeriesCommand.class, DeadLettersCommand.class})
public final class Radstream {
    public static void main(String[] args) {
        int code = new CommandLine(new Radstream()).execute(args);
        System.exit(code);
    }
}
