package org.forward4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.forward4j.cli.compare.Comparison;
import org.forward4j.cli.compare.Comparison.Bound;
import org.forward4j.cli.compare.Comparison.Definition;
import org.forward4j.cli.compare.Comparison.Run;
import org.forward4j.cli.compare.Comparison.Saving;
import org.forward4j.core.train.EvalRecord;
import org.junit.jupiter.api.Test;

/** The comparison statistics on synthetic curves whose answers are worked out by hand in the comments. */
class CompareStatisticsTest {

    private static final long N = 400;

    /** Evaluations every 100 queries, starting at 0. */
    private static List<EvalRecord> curve(double... acc) {
        List<EvalRecord> out = new ArrayList<>();
        for (int i = 0; i < acc.length; i++) {
            out.add(new EvalRecord(i, i, i * 100L, 0, 0, acc[i], i));
        }
        return out;
    }

    private static Run run(String allocator, long seed, double... acc) {
        return new Run("lr", allocator, seed, curve(acc), N);
    }

    // uniform, smoothed: 0.1, 0.3, 0.4, 0.6, 0.7 (at N = 400), 0.7667, 0.8, 0.8333, 0.8667, 0.9
    private static final double[] UNIFORM = {0.1, 0.5, 0.6, 0.7, 0.8, 0.8, 0.8, 0.9, 0.9, 0.9};
    // ahead of uniform, smoothed: 0.1, 0.4, 0.5, 0.7333, 0.8 (at N)
    private static final double[] AHEAD = {0.1, 0.7, 0.7, 0.8, 0.9};
    // behind uniform, smoothed: 0.1, 0.2, 0.3, 0.4667, 0.5667 (at N)
    private static final double[] BEHIND = {0.1, 0.3, 0.5, 0.6, 0.6};

    @Test
    void conservativeSavingTargetsUniformsAccuracyAtN() {
        // target 0.7: uniform first reaches it at 400, the allocator at 300
        Saving s = Comparison.saving(Definition.TO_UNIFORM_ACCURACY, run("optimal", 1, AHEAD), run("uniform", 1,
                UNIFORM));
        assertThat(s.target()).isCloseTo(0.7, within(1e-12));
        assertThat(s.queries()).isEqualTo(300L);
        assertThat(s.uniformQueries()).isEqualTo(400L);
        assertThat(s.value()).isEqualTo(0.25);
        assertThat(s.bound()).isEqualTo(Bound.EXACT);
        assertThat(s.seed()).isEqualTo(1);
        assertThat(s.uniformSeed()).isEqualTo(1);
    }

    @Test
    void ownAccuracySavingLetsUniformTrainBeyondN() {
        // target 0.8 (the allocator's own at N, reached at 400); uniform first reaches 0.8 at 600, past N
        Saving s = Comparison.saving(Definition.TO_OWN_ACCURACY, run("optimal", 1, AHEAD), run("uniform", 1,
                UNIFORM));
        assertThat(s.target()).isCloseTo(0.8, within(1e-12));
        assertThat(s.queries()).isEqualTo(400L);
        assertThat(s.uniformQueries()).isEqualTo(600L);
        assertThat(s.value()).isCloseTo(1.0 / 3, within(1e-15));
        assertThat(s.bound()).isEqualTo(Bound.EXACT);
        // the same runs give a smaller saving under the conservative definition
        assertThat(Comparison.saving(Definition.TO_UNIFORM_ACCURACY, run("optimal", 1, AHEAD),
                run("uniform", 1, UNIFORM)).value()).isLessThan(s.value());
    }

    @Test
    void allocatorThatNeverReachesUniformsAccuracyGetsAnUpperBound() {
        // uniform's 0.7 at N is reached at 400; the allocator ends at 0.5667: saving < 1 - 400/400 = 0
        Saving s = Comparison.saving(Definition.TO_UNIFORM_ACCURACY, run("neyman", 1, BEHIND), run("uniform", 1,
                UNIFORM));
        assertThat(s.queries()).isNull();
        assertThat(s.uniformQueries()).isEqualTo(400L);
        assertThat(s.bound()).isEqualTo(Bound.AT_MOST);
        assertThat(s.value()).isEqualTo(0.0);
        // uniform peaked early: smoothed 0.1, 0.5, 0.6333, 0.9, 0.7 -> its 0.7 at N was first reached at 300, so the
        // allocator that cannot reach 0.7 by 400 saves less than 1 - 400/300
        Saving early = Comparison.saving(Definition.TO_UNIFORM_ACCURACY, run("neyman", 1, BEHIND),
                run("uniform", 1, 0.1, 0.9, 0.9, 0.9, 0.3));
        assertThat(early.uniformQueries()).isEqualTo(300L);
        assertThat(early.bound()).isEqualTo(Bound.AT_MOST);
        assertThat(early.value()).isCloseTo(-1.0 / 3, within(1e-15));
    }

    @Test
    void allocatorIsNotCreditedBeyondItsBudget() {
        // a curve reaching uniform's 0.7 only at 600 (smoothed 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7): cut at N = 400
        Run late = run("optimal", 1, 0.1, 0.3, 0.5, 0.4, 0.6, 0.8, 0.7);
        Saving s = Comparison.saving(Definition.TO_UNIFORM_ACCURACY, late, run("uniform", 1, UNIFORM));
        assertThat(s.bound()).isEqualTo(Bound.AT_MOST);
        assertThat(s.queries()).isNull();
        assertThat(Comparison.queriesToReach(late.records(), 0.7)).isEqualTo(600);
        assertThat(Comparison.queriesToReach(late.records(), 0.7, N)).isEqualTo(-1);
    }

    @Test
    void uniformThatNeverReachesTheAllocatorsAccuracyGivesALowerBound() {
        // the allocator's own 0.8 at N (reached at 400); uniform stops at 600 below it: saving > 1 - 400/600
        Saving s = Comparison.saving(Definition.TO_OWN_ACCURACY, run("optimal", 1, AHEAD),
                run("uniform", 1, 0.1, 0.5, 0.6, 0.7, 0.7, 0.7, 0.7));
        assertThat(s.uniformQueries()).isNull();
        assertThat(s.queries()).isEqualTo(400L);
        assertThat(s.bound()).isEqualTo(Bound.AT_LEAST);
        assertThat(s.value()).isCloseTo(1.0 / 3, within(1e-15));
    }

    @Test
    void savingWithoutAnAccuracyIsUndefinedAndLeftOutOfTheMean() {
        double nan = Double.NaN;
        Saving s = Comparison.saving(Definition.TO_UNIFORM_ACCURACY, run("optimal", 2, AHEAD),
                run("uniform", 2, nan, nan, nan, nan, nan));
        assertThat(s.bound()).isEqualTo(Bound.UNDEFINED);
        assertThat(s.value()).isNaN();
        Saving ok = Comparison.saving(Definition.TO_UNIFORM_ACCURACY, run("optimal", 1, AHEAD),
                run("uniform", 1, UNIFORM));
        Saving capped = Comparison.saving(Definition.TO_UNIFORM_ACCURACY, run("optimal", 3, BEHIND),
                run("uniform", 3, UNIFORM));
        Comparison.SavingSummary sum = Comparison.summarise("lr", "optimal", Definition.TO_UNIFORM_ACCURACY,
                List.of(ok, s, capped));
        // mean of 0.25 and the bound 0 (the undefined seed left out)
        assertThat(sum.mean()).isEqualTo(0.125);
        assertThat(sum.std()).isCloseTo(Math.sqrt(2 * 0.125 * 0.125), within(1e-15));
        assertThat(sum.undefined()).isEqualTo(1);
        assertThat(sum.bounded()).isEqualTo(1);
        assertThat(sum.perSeed()).hasSize(3);
    }

    @Test
    void runsOfDifferentBudgetsAreNotCompared() {
        Run other = new Run("lr", "uniform", 1, curve(UNIFORM), 800);
        assertThatThrownBy(() -> Comparison.saving(Definition.TO_OWN_ACCURACY, run("optimal", 1, AHEAD), other))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("400").hasMessageContaining("800");
    }

    @Test
    void quantileInterpolatesBetweenOrderStatistics() {
        double[] v = {1, 2, 3, 4};
        assertThat(Comparison.quantile(v, 0)).isEqualTo(1);
        assertThat(Comparison.quantile(v, 1)).isEqualTo(4);
        assertThat(Comparison.quantile(v, 0.5)).isEqualTo(2.5);
        assertThat(Comparison.quantile(v, 0.25)).isEqualTo(1.75);
        assertThat(Comparison.quantile(new double[] {7}, 0.975)).isEqualTo(7);
    }

    @Test
    void bootstrapIntervalIsDeterministicAndContainsTheMean() {
        // the committed run's per-seed savings of one allocator
        double[] v = {0.2, 0.25, 0.10526315789473684, 0.3, 0.2631578947368421};
        Comparison.Interval a = Comparison.bootstrapMean(v);
        Comparison.Interval b = Comparison.bootstrapMean(v.clone());
        assertThat(a).isEqualTo(b);
        double mean = Arrays.stream(v).average().orElseThrow();
        assertThat(a.low()).isLessThan(mean).isGreaterThanOrEqualTo(0.10526315789473684);
        assertThat(a.high()).isGreaterThan(mean).isLessThanOrEqualTo(0.3);
        // an interval, not the min..max: fewer than 2.5% of the resamples draw mostly the extremes
        assertThat(a.low()).isGreaterThan(0.13);
        assertThat(a.high()).isLessThan(0.29);
        // another seed of the random stream moves the ends only a little with 10,000 resamples
        Comparison.Interval c = Comparison.bootstrapMean(v, Comparison.BOOTSTRAP_RESAMPLES, 12345, 0.95);
        assertThat(c.low()).isCloseTo(a.low(), within(0.005));
        assertThat(c.high()).isCloseTo(a.high(), within(0.005));
    }

    @Test
    void bootstrapIntervalHasExactEndsWhereTheResampledMeansAreDiscrete() {
        // mean of 4 draws from {0, 0, 0, 1}: P(0) = (3/4)^4 = 32% > 2.5%, so the lower end is exactly 0;
        // P(>= 0.75) = 5.1% > 2.5% > P(1) = 0.4%, so the upper end is exactly 0.75
        Comparison.Interval i = Comparison.bootstrapMean(new double[] {0, 0, 0, 1});
        assertThat(i.low()).isEqualTo(0.0);
        assertThat(i.high()).isEqualTo(0.75);
        // mean of 2 draws from {0, 1}: 0 and 1 each have probability 1/4
        Comparison.Interval j = Comparison.bootstrapMean(new double[] {0, 1});
        assertThat(j).isEqualTo(new Comparison.Interval(0, 1));
        // constant values and a single value leave nothing to resample
        assertThat(Comparison.bootstrapMean(new double[] {0.3, 0.3, 0.3})).isEqualTo(new Comparison.Interval(0.3,
                0.3));
        assertThat(Comparison.bootstrapMean(new double[] {0.42})).isEqualTo(new Comparison.Interval(0.42, 0.42));
        Comparison.Interval none = Comparison.bootstrapMean(new double[0]);
        assertThat(none.low()).isNaN();
        assertThat(none.high()).isNaN();
        // level 0.2: the 40% and 60% quantiles; P(0) = 32% < 40% and P(<= 0.25) = 74% > 60%, so both are 0.25
        assertThat(Comparison.bootstrapMean(new double[] {0, 0, 0, 1}, Comparison.BOOTSTRAP_RESAMPLES,
                Comparison.BOOTSTRAP_SEED, 0.2)).isEqualTo(new Comparison.Interval(0.25, 0.25));
        assertThatThrownBy(() -> Comparison.bootstrapMean(new double[] {1}, 0, 1, 0.95))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void nullSpreadOfIdenticalUniformCurvesIsExactlyZero() {
        List<Run> uniforms = List.of(run("uniform", 1, UNIFORM), run("uniform", 2, UNIFORM), run("uniform", 3,
                UNIFORM));
        for (Definition d : Definition.values()) {
            Comparison.NullSpread n = Comparison.nullSpread("lr", d, uniforms);
            assertThat(n.pairs()).isEqualTo(6);
            assertThat(n.mean()).isEqualTo(0.0);
            assertThat(n.std()).isEqualTo(0.0);
            assertThat(n.min()).isEqualTo(0.0);
            assertThat(n.max()).isEqualTo(0.0);
            assertThat(n.range()).isEqualTo(new Comparison.Interval(0, 0));
            assertThat(n.bounded()).isZero();
            assertThat(n.undefined()).isZero();
        }
        Comparison.NullSpread acc = Comparison.nullAccuracySpread("lr", uniforms);
        assertThat(acc.mean()).isEqualTo(0.0);
        assertThat(acc.std()).isEqualTo(0.0);
        assertThat(acc.definition()).isNull();
    }

    @Test
    void nullSpreadScoresEveryOrderedPairOfUniformSeeds() {
        // seed 2 ends at 0.8 (smoothed 0.1, 0.4, 0.5, 0.7333, 0.8 at N, 0.8667, 0.9, ...) and seed 1 at 0.7:
        // to uniform's accuracy: 2 against 1 saves 1 - 300/400 = 0.25; 1 against 2 cannot reach 0.8 by 400,
        // so at most 1 - 400/400 = 0. To its own accuracy: 2 against 1 saves 1 - 400/600 = 1/3; 1 against 2:
        // seed 2 first reaches 0.7 at 300, so 1 - 400/300
        List<Run> uniforms = List.of(run("uniform", 1, UNIFORM),
                run("uniform", 2, 0.1, 0.7, 0.7, 0.8, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9));
        Comparison.NullSpread a = Comparison.nullSpread("lr", Definition.TO_UNIFORM_ACCURACY, uniforms);
        assertThat(a.pairs()).isEqualTo(2);
        assertThat(a.min()).isEqualTo(0.0);
        assertThat(a.max()).isEqualTo(0.25);
        assertThat(a.mean()).isEqualTo(0.125);
        assertThat(a.bounded()).isEqualTo(1);
        Comparison.NullSpread b = Comparison.nullSpread("lr", Definition.TO_OWN_ACCURACY, uniforms);
        assertThat(b.min()).isCloseTo(-1.0 / 3, within(1e-15));
        assertThat(b.max()).isCloseTo(1.0 / 3, within(1e-15));
        assertThat(b.mean()).isCloseTo(0.0, within(1e-15));
        assertThat(b.std()).isCloseTo(Math.sqrt(2.0 / 9), within(1e-15));
        assertThat(b.bounded()).isZero();
        Comparison.NullSpread acc = Comparison.nullAccuracySpread("lr", uniforms);
        assertThat(acc.min()).isCloseTo(-0.1, within(1e-12));
        assertThat(acc.max()).isCloseTo(0.1, within(1e-12));
    }

    @Test
    void pairedDifferenceMatchesRunsBySeedNotByPosition() {
        // smoothed accuracy at N = mean of the last 3 evaluations up to 400
        List<Run> neyman = List.of(run("neyman", 1, 0, 0, 0.80, 0.80, 0.80), run("neyman", 2, 0, 0, 0.90, 0.90, 0.90));
        List<Run> optimal = List.of(run("optimal", 2, 0, 0, 0.89, 0.89, 0.89), run("optimal", 1, 0, 0, 0.83, 0.83,
                0.83), run("optimal", 7, 0, 0, 0.5, 0.5, 0.5));
        Comparison.PairedDifference d = Comparison.pairedDifference("lr", neyman, optimal);
        assertThat(d.first()).isEqualTo("neyman");
        assertThat(d.second()).isEqualTo("optimal");
        assertThat(d.seeds()).containsExactly(2L, 1L);
        assertThat(d.perSeed().get(0)).isCloseTo(-0.01, within(1e-12));
        assertThat(d.perSeed().get(1)).isCloseTo(0.03, within(1e-12));
        assertThat(d.mean()).isCloseTo(0.01, within(1e-12));
        assertThat(d.std()).isCloseTo(Math.sqrt(2 * 0.02 * 0.02), within(1e-12));
        // two seeds: resampled means are -0.01, 0.01 or 0.03, each end with probability 1/4
        assertThat(d.ci().low()).isCloseTo(-0.01, within(1e-12));
        assertThat(d.ci().high()).isCloseTo(0.03, within(1e-12));
    }

    @Test
    void reportPutsTheConservativeSavingFirstAndComparesEveryAllocatorPair() {
        List<Run> runs = List.of(run("uniform", 1, UNIFORM), run("uniform", 2, UNIFORM), run("neyman", 1, BEHIND),
                run("neyman", 2, AHEAD), run("optimal", 1, AHEAD), run("optimal", 2, AHEAD));
        List<Comparison.Report> reports = Comparison.analyse(runs);
        assertThat(reports).hasSize(1);
        Comparison.Report r = reports.get(0);
        assertThat(r.accuracy()).extracting(Comparison.AccuracyAtN::allocator)
                .containsExactly("uniform", "neyman", "optimal");
        assertThat(r.accuracy().get(0).mean()).isCloseTo(0.7, within(1e-12));
        assertThat(r.toUniformAccuracy()).extracting(Comparison.SavingSummary::allocator)
                .containsExactly("neyman", "optimal");
        Comparison.SavingSummary ney = r.toUniformAccuracy().get(0);
        assertThat(ney.perSeed()).extracting(Saving::bound).containsExactly(Bound.AT_MOST, Bound.EXACT);
        assertThat(ney.mean()).isEqualTo(0.125);
        Comparison.SavingSummary opt = r.toOwnAccuracy().get(1);
        assertThat(opt.definition()).isEqualTo(Definition.TO_OWN_ACCURACY);
        assertThat(opt.mean()).isCloseTo(1.0 / 3, within(1e-15));
        assertThat(opt.ci()).isEqualTo(new Comparison.Interval(opt.perSeed().get(0).value(),
                opt.perSeed().get(0).value()));
        assertThat(r.nulls()).hasSize(3);
        assertThat(r.nulls().get(0).mean()).isEqualTo(0.0);
        assertThat(r.differences()).extracting(d -> d.second() + "-" + d.first())
                .containsExactly("neyman-uniform", "optimal-uniform", "optimal-neyman");
        // optimal - neyman: seed 1 0.8 - 0.5667, seed 2 0
        assertThat(r.differences().get(2).mean()).isCloseTo((0.8 - 1.7 / 3) / 2, within(1e-12));

        String md = Comparison.markdown(reports, 3);
        int headline = md.indexOf("## Headline: query saving to reach uniform's accuracy at N");
        int paper = md.indexOf("## Query saving to reach the allocator's own accuracy at N");
        int noise = md.indexOf("## Seed noise: uniform against uniform");
        int diffs = md.indexOf("## Paired differences in smoothed test accuracy at N");
        assertThat(headline).isPositive().isLessThan(paper);
        assertThat(paper).isLessThan(noise);
        assertThat(noise).isLessThan(diffs);
        assertThat(md.substring(headline, paper)).contains("| lr | neyman | **12.5%** [0.0, 25.0] | 17.7 | ≤0.0, 25.0% |"
                + " 1 (allocator did not reach the target within N) | 0 |");
        assertThat(md.substring(diffs)).contains("| lr | optimal − neyman | 2 |");
        assertThat(md).doesNotContain("NaN");
        String console = Comparison.console(reports);
        assertThat(console).contains("neyman saving vs uniform: to uniform's accuracy 12.5% [0.0, 25.0] (upper bound)"
                + " (headline); to its own accuracy").contains("optimal − neyman at N:")
                .doesNotContain("neyman − uniform");
    }
}
