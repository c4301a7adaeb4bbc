package org.forward4j.cli.finetune;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.forward4j.cli.compare.Comparison;
import org.forward4j.core.Forward4j;

/**
 * The experiment's steps in order: pretrain (or reuse) every model, plan every run so the time estimate covers the
 * whole experiment, run the main comparison seed by seed (so an interrupted run has every method for its first
 * seeds), then the grid, and analyse the forward runs with {@link Comparison}.
 */
final class Finetune {

    /**
     * One grid cell's analysis.
     *
     * @param model the model
     * @param learningRate the cell's learning rate
     * @param queriesPerPoint the cell's queries per point
     * @param epochs its epochs up to N
     * @param report the lr report (uniform, neyman, optimal)
     */
    record GridCell(String model, double learningRate, int queriesPerPoint, int epochs, Comparison.Report report) {
    }

    /**
     * Everything the summary needs.
     *
     * @param pretrained the pretrained model per model
     * @param main the main comparison's runs per model
     * @param reports the main comparison's lr report per model
     * @param grid the grid cells
     * @param all every distinct run (main and grid), in the order made
     */
    record Results(Map<String, Pretraining.Model> pretrained, Map<String, List<Experiment.MethodRun>> main,
                   Map<String, Comparison.Report> reports, List<GridCell> grid, List<Experiment.MethodRun> all) {
    }

    /** The main comparison's methods, in the order they run for each seed. */
    static final List<String> METHODS = List.of(Experiment.LR_UNIFORM, Experiment.LR_NEYMAN, Experiment.LR_OPTIMAL,
            Experiment.SPSA_UNIFORM, Experiment.BACKPROP_SAME, Experiment.BACKPROP_HEAD);
    private static final List<String> GRID_METHODS = List.of(Experiment.LR_UNIFORM, Experiment.LR_NEYMAN,
            Experiment.LR_OPTIMAL);

    private final Supplier<Forward4j.Builder> engine;
    private final Plan plan;
    private final PrintStream out;

    Finetune(Supplier<Forward4j.Builder> engine, Plan plan, PrintStream out) {
        this.engine = engine;
        this.plan = plan;
        this.out = out;
    }

    Results run() {
        Set<String> all = new LinkedHashSet<>(plan.models());
        all.addAll(plan.gridModels());
        Map<String, Pretraining.Model> pretrained = new LinkedHashMap<>();
        for (String m : all) {
            pretrained.put(m, Pretraining.obtain(engine, plan.perModel().get(m).pretraining(), plan.cache(), out));
        }
        Experiment x = new Experiment(engine, plan.common(), plan.uniformFactor(), plan.headLearningRate(), out);
        List<Experiment.Job> main = new ArrayList<>();
        for (String m : plan.models()) {
            Plan.ModelPlan mp = plan.perModel().get(m);
            for (int s = 0; s < plan.seeds(); s++) {
                for (String method : METHODS) {
                    main.add(new Experiment.Job(m, method, plan.firstSeed() + s, mp.learningRate(),
                            mp.queriesPerPoint(), mp.epochs()));
                }
            }
        }
        Map<List<Object>, List<Experiment.Job>> cells = new LinkedHashMap<>();
        for (String m : plan.gridModels()) {
            Plan.ModelPlan mp = plan.perModel().get(m);
            int epochs = plan.gridEpochs() == null ? mp.epochs() : plan.gridEpochs();
            for (double lr : plan.gridLearningRates()) {
                for (int q : plan.gridQueries()) {
                    List<Experiment.Job> jobs = new ArrayList<>();
                    for (int s = 0; s < plan.gridSeeds(); s++) {
                        for (String method : GRID_METHODS) {
                            jobs.add(new Experiment.Job(m, method, plan.firstSeed() + s, lr, q, epochs));
                        }
                    }
                    cells.put(List.of(m, lr, q, epochs), jobs);
                }
            }
        }
        Set<Experiment.Job> distinct = new LinkedHashSet<>(main);
        cells.values().forEach(distinct::addAll);
        x.plan(new ArrayList<>(distinct));
        out.printf(java.util.Locale.ROOT, "fine-tuning: %d runs (%d main, %d more for the grid)%n", distinct.size(),
                main.size(), distinct.size() - main.size());
        Map<String, List<Experiment.MethodRun>> mainRuns = new LinkedHashMap<>();
        for (Experiment.Job j : main) {
            mainRuns.computeIfAbsent(j.model(), k -> new ArrayList<>()).add(run(x, j, pretrained));
        }
        Map<String, Comparison.Report> reports = new LinkedHashMap<>();
        mainRuns.forEach((m, runs) -> reports.put(m, lrReport(runs)));
        List<GridCell> grid = new ArrayList<>();
        for (var e : cells.entrySet()) {
            List<Experiment.MethodRun> runs = new ArrayList<>();
            for (Experiment.Job j : e.getValue()) {
                runs.add(run(x, j, pretrained));
            }
            List<Object> k = e.getKey();
            grid.add(new GridCell((String) k.get(0), (Double) k.get(1), (Integer) k.get(2), (Integer) k.get(3),
                    lrReport(runs)));
        }
        return new Results(pretrained, mainRuns, reports, grid, x.runs());
    }

    private Experiment.MethodRun run(Experiment x, Experiment.Job j, Map<String, Pretraining.Model> pretrained) {
        Plan.ModelPlan mp = plan.perModel().get(j.model());
        return x.run(j, pretrained.get(j.model()).file().toString(), mp.trainable(), mp.sigma());
    }

    /** The lr runs analysed as {@code compare} analyses an estimator's allocators. */
    private static Comparison.Report lrReport(List<Experiment.MethodRun> runs) {
        List<Comparison.Run> lr = runs.stream().filter(r -> r.method().startsWith("lr/"))
                .map(Experiment.MethodRun::comparison).toList();
        return Comparison.analyse(lr).get(0);
    }
}
