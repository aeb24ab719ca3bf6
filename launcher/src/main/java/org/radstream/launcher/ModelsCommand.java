package org.radstream.launcher;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.radstream.models.ModelStore;
import org.radstream.trainer.ModelListing;
import org.radstream.trainer.TrainingTask;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code radstream models}: lists a model store's versions and refused challengers. Only wires. */
@Command(name = "models", mixinStandardHelpOptions = true,
        description = "List a model store: every published version (the newest is what workers load) and every "
                + "refused challenger kept aside, with the quality gate's score and decision.")
final class ModelsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--store", description = "Model store. Default: RADSTREAM_MODEL_STORE, else models-default.")
    Path store = EvalCommand.MODEL_STORE;

    @Option(names = "--task", description = "Only this task (lung, infection, infection-classifier, liver, vessel).")
    String task;

    @Override
    public Integer call() throws Exception {
        List<String> tasks;
        if (task == null) {
            tasks = Arrays.stream(TrainingTask.values()).map(TrainingTask::id).toList();
        } else {
            try {
                tasks = List.of(TrainingTask.of(task).id());
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
        }
        if (!Files.isDirectory(store)) {
            throw new ParameterException(spec.commandLine(), "no model store at " + store);
        }
        List<ModelListing.Entry> entries = ModelListing.of(new ModelStore(store), tasks);
        System.out.print(entries.isEmpty() ? "no models in " + store + "\n" : ModelListing.table(entries));
        return 0;
    }
}
