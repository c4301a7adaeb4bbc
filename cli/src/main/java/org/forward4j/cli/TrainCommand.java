package org.forward4j.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.forward4j.cli.results.ResultsWriter;
import org.forward4j.core.Forward4j;
import org.forward4j.core.train.Trainer;
import org.forward4j.core.train.TrainingConfig;
import org.forward4j.core.train.TrainingResult;
import org.forward4j.datasets.DatasetSplit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code forward4j train}: one forward-only training run; writes metrics.csv and result.json. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train an MLP with forward passes only and write metrics.csv and result.json.")
public final class TrainCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions options;

    @Option(names = {"-o", "--output"}, description = "output directory (default runs/train)")
    Path output = Path.of("runs", "train");

    @Option(names = "--resume", description = "continue from the newest valid checkpoint in <output>/checkpoints "
            + "(bit-identical to an uninterrupted run)")
    boolean resume;

    @Option(names = "--checkpoint-every", description = "also checkpoint every N steps (default: at epoch ends)")
    Integer checkpointEvery;

    @Override
    public Integer call() {
        java.util.Map<String, String> overrides = options.overrides();
        if (checkpointEvery != null) {
            overrides.put("checkpoint-every", checkpointEvery.toString());
        }
        Forward4j f4j = Runs.engine(options.configFile(), overrides);
        TrainingConfig t = f4j.training();
        DatasetSplit split = Runs.data(t);
        System.out.printf(Locale.ROOT, "forward4j train: %s on %s (%d train / %d test rows), estimator %s, allocator %s,"
                        + " backend %s, %d queries per point, batch %d, %d epochs, seed %d%n",
                Runs.network(t, split.train()), t.dataset(), split.train().rows(), split.test().rows(), t.estimator(),
                t.allocator(), f4j.backendName(), t.queriesPerPoint(), t.batchSize(), t.epochs(), t.seed());
        Trainer trainer = Runs.trainer(f4j, split);
        Path checkpoints = output.resolve("checkpoints");
        trainer.checkpointTo(checkpoints, f4j.config().asMap());
        if (resume) {
            trainer.resumeFrom(checkpoints).forEach(w -> System.err.println("warning: " + w));
            System.out.printf(Locale.ROOT, "resuming at step %d (%,d queries spent)%n", trainer.step(),
                    trainer.trainingQueries());
        }
        TrainingResult r;
        try (trainer) {
            r = trainer.fit(new ConsoleProgress(t.estimator() + "/" + t.allocator(), t.epochs(), t.progress(), true,
                    System.out, System.err));
        }
        ResultsWriter.write(output, r, f4j.config().asMap());
        System.out.printf(Locale.ROOT, "final test accuracy %.4f after %,d training queries (%d steps, %.1f s of "
                        + "training); results in %s%n", r.last().testAccuracy(), r.trainingQueries(), r.steps(),
                r.last().wallSeconds(), output.toAbsolutePath());
        return 0;
    }
}
