package org.forward4j.tck;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.forward4j.allocator.Allocation;
import org.forward4j.allocator.AllocationRequest;
import org.forward4j.allocator.Allocations;
import org.forward4j.allocator.PointStatistics;
import org.forward4j.allocator.QueryAllocator;
import org.forward4j.allocator.spi.QueryAllocatorProvider;
import org.forward4j.backend.Backend;
import org.forward4j.backend.reference.ReferenceBackendProvider;
import org.forward4j.backend.spi.BackendCapability;
import org.forward4j.backend.spi.BackendProvider;
import org.forward4j.estimator.ActivationPass;
import org.forward4j.estimator.ActivationPlan;
import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.EstimatorCost;
import org.forward4j.estimator.GradientEstimate;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.ReferenceQueryEvaluator;
import org.forward4j.estimator.StepContext;
import org.forward4j.estimator.WeightPlan;
import org.forward4j.estimator.spi.EstimatorCapability;
import org.forward4j.estimator.spi.GradientEstimatorProvider;
import org.forward4j.plugin.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The contract tests are only worth running if they fail on broken plugins: each test here builds a plugin with
 * one typical defect and checks that the matching contract check fails, with a message that points at it.
 */
class BrokenPluginsAreCaughtTest {

    private static void fails(Executable check, String messagePart) {
        assertThatThrownBy(check::execute).isInstanceOf(AssertionError.class).hasMessageContaining(messagePart);
    }

    // ---- allocators ----------------------------------------------------------------------------------------

    /** An allocator provider built from a factory; unregistered, named as given. */
    private static QueryAllocatorProvider allocator(String name, Supplier<QueryAllocator> factory) {
        return new QueryAllocatorProvider() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public int spiVersion() {
                return SPI_VERSION;
            }

            @Override
            public QueryAllocator create(Settings settings) {
                settings.reader("allocator '" + name + "'").finish();
                return factory.get();
            }
        };
    }

    private static AllocatorContractTest allocatorContract(QueryAllocatorProvider p) {
        return new AllocatorContractTest() {
            @Override
            protected QueryAllocatorProvider provider() {
                return p;
            }
        };
    }

    /** Floor of D/B each, remainder to the first batch positions: right sum, but depends on the batch order. */
    private static Allocation firstComeFirstServed(AllocationRequest r, int offset) {
        int b = r.batchSize();
        int[] a = new int[b];
        int base = r.totalDraws() / b;
        int rest = r.totalDraws() - base * b;
        for (int i = 0; i < b; i++) {
            a[(i + offset) % b] = base + (i < rest ? 1 : 0);
        }
        return new Allocation(a);
    }

    @Test
    void anAllocationThatMissesTheBudgetFails() {
        QueryAllocatorProvider p = allocator("short", () -> r -> {
            int[] a = Allocations.uniform(r).draws();
            for (int i = 0; i < a.length; i++) {
                if (a[i] > r.minDraws()) {
                    a[i]--;
                    break;
                }
            }
            return new Allocation(a);
        });
        fails(() -> allocatorContract(p).budgetAndBoundsHoldExactlyOnRandomRequests(), "sum of draws");
    }

    @Test
    void anAllocationThatDependsOnTheBatchOrderFails() {
        QueryAllocatorProvider p = allocator("order", () -> r -> firstComeFirstServed(r, 0));
        fails(() -> allocatorContract(p).permutedBatchGetsThePermutedAllocation(), "permuted position");
    }

    @Test
    void anAllocatorWithHiddenGlobalStateFailsDeterminism() {
        AtomicInteger calls = new AtomicInteger();
        QueryAllocatorProvider p = allocator("global", () -> r -> firstComeFirstServed(r, calls.getAndIncrement()));
        fails(() -> allocatorContract(p).sameSeedGivesTheSameAllocations(), "determinism");
    }

    @Test
    void learnedStateMissingFromTheCheckpointFails() {
        QueryAllocatorProvider p = allocator("forgetful", () -> new QueryAllocator() {
            private int observed;

            @Override
            public Allocation allocate(AllocationRequest r) {
                return firstComeFirstServed(r, observed);
            }

            @Override
            public void observe(PointStatistics statistics) {
                observed++;
            }
        });
        fails(() -> allocatorContract(p).restoredStateAllocatesLikeTheOriginal(), "after restoreState");
    }

    @Test
    void ignoredSettingsFail() {
        QueryAllocatorProvider p = new QueryAllocatorProvider() {
            @Override
            public String name() {
                return "lenient";
            }

            @Override
            public int spiVersion() {
                return SPI_VERSION;
            }

            @Override
            public QueryAllocator create(Settings settings) {
                return new QueryAllocator() {
                    @Override
                    public Allocation allocate(AllocationRequest request) {
                        return Allocations.uniform(request);
                    }
                };
            }
        };
        fails(() -> allocatorContract(p).settingsAreValidatedAndUnknownKeysRejected(), "must reject the unknown key");
    }

    @Test
    void anUnregisteredProviderFails() {
        fails(() -> allocatorContract(allocator("unlisted", () -> Allocations::uniform))
                .registeredInMetaInfServicesAndDiscoveredByName(), "is not registered: add a line");
    }

    @Test
    void aNameThatIsNotKebabCaseFails() {
        fails(() -> allocatorContract(allocator("Loss_Proportional", () -> Allocations::uniform))
                .nameIsKebabCaseAndSpiVersionMatches(), "lower-case kebab case");
    }

    // ---- estimators ----------------------------------------------------------------------------------------

    /** The sample SPSA with a defect injected by wrapping its estimator. */
    private static GradientEstimatorProvider estimator(Set<EstimatorCapability> capabilities,
                                                       Function<GradientEstimator, GradientEstimator> defect) {
        SampleSpsaProvider good = new SampleSpsaProvider();
        return new GradientEstimatorProvider() {
            @Override
            public String name() {
                return "defective";
            }

            @Override
            public int spiVersion() {
                return SPI_VERSION;
            }

            @Override
            public Set<EstimatorCapability> capabilities() {
                return capabilities;
            }

            @Override
            public GradientEstimator create(Settings settings) {
                return defect.apply(good.create(settings));
            }
        };
    }

    private static EstimatorContractTest estimatorContract(GradientEstimatorProvider p) {
        return new EstimatorContractTest() {
            @Override
            protected GradientEstimatorProvider provider() {
                return p;
            }
        };
    }

    /** A wrapper whose steps pass through a mapping of the context and of the finished estimate. */
    private static GradientEstimator wrap(GradientEstimator inner, Function<StepContext, StepContext> context,
                                          Function<GradientEstimate, GradientEstimate> result) {
        return new GradientEstimator() {
            @Override
            public EstimatorCost cost() {
                return inner.cost();
            }

            @Override
            public boolean independentPerPoint() {
                return inner.independentPerPoint();
            }

            @Override
            public EstimationStep begin(StepContext ctx) {
                EstimationStep s = inner.begin(context.apply(ctx));
                return new EstimationStep() {
                    @Override
                    public void run(int[] draws, boolean include) {
                        s.run(draws, include);
                    }

                    @Override
                    public double[] proxies() {
                        return s.proxies();
                    }

                    @Override
                    public GradientEstimate finish() {
                        return result.apply(s.finish());
                    }
                };
            }
        };
    }

    @Test
    void aBiasOfTenPercentIsCaught() {
        GradientEstimatorProvider p = estimator(Set.of(EstimatorCapability.BLACK_BOX), e -> wrap(e, c -> c,
                g -> {
                    float[] x = g.gradient();
                    for (int k = 0; k < x.length; k++) {
                        x[k] *= 1.1f;
                    }
                    return new GradientEstimate(x, g.draws(), g.perDrawVariance(), g.meanLoss(), g.queries());
                }));
        fails(() -> estimatorContract(p).meanOfSeededEstimatesIsTheExactGradient(), "standard error");
    }

    @Test
    void aSmallBiasOfAnAlmostNoiselessEstimatorIsCaught() {
        // 2% bias, and every estimate the same: the standard error is 0 and only the rounding allowance remains
        GradientEstimatorProvider p = estimator(Set.of(EstimatorCapability.BLACK_BOX), e -> wrap(e, c -> c,
                g -> {
                    double[] exact = Fixtures.quadratic().batchGradient(Fixtures.quadraticTheta(),
                            Fixtures.quadraticRows());
                    float[] x = new float[exact.length];
                    for (int k = 0; k < x.length; k++) {
                        x[k] = (float) (1.02 * exact[k]);
                    }
                    return new GradientEstimate(x, g.draws(), g.perDrawVariance(), g.meanLoss(), g.queries());
                }));
        fails(() -> estimatorContract(p).meanOfSeededEstimatesIsTheExactGradient(),
                "coordinate 0: mean of 6000 estimates");
    }

    @Test
    void anExactDeterministicEstimatorPassesDespiteFloatRounding() {
        // the control for the test above: the float32 copy of the exact gradient is within the rounding allowance
        GradientEstimatorProvider p = estimator(Set.of(EstimatorCapability.BLACK_BOX), e -> wrap(e, c -> c,
                g -> {
                    double[] exact = Fixtures.quadratic().batchGradient(Fixtures.quadraticTheta(),
                            Fixtures.quadraticRows());
                    float[] x = new float[exact.length];
                    for (int k = 0; k < x.length; k++) {
                        x[k] = (float) exact[k];
                    }
                    return new GradientEstimate(x, g.draws(), g.perDrawVariance(), g.meanLoss(), g.queries());
                }));
        estimatorContract(p).meanOfSeededEstimatesIsTheExactGradient();
    }

    @Test
    void misreportedQueriesAreCaught() {
        GradientEstimatorProvider p = estimator(Set.of(EstimatorCapability.BLACK_BOX), e -> wrap(e, c -> c,
                g -> new GradientEstimate(g.gradient(), g.draws(), g.perDrawVariance(), g.meanLoss(),
                        g.queries() - 1)));
        fails(() -> estimatorContract(p).everyQueryIsCountedAndMatchesTheCostModel(), "GradientEstimate.queries()");
    }

    @Test
    void lossesEvaluatedBehindTheEvaluatorsBackAreCaught() {
        GradientEstimatorProvider p = estimator(Set.of(EstimatorCapability.BLACK_BOX), e -> wrap(e, c -> {
            Objective o = c.evaluator().objective();
            o.losses(c.theta(), c.rows(), new double[c.rows().length]); // an uncounted "clean" pass
            return c;
        }, g -> g));
        fails(() -> estimatorContract(p).everyQueryIsCountedAndMatchesTheCostModel(), "directly");
    }

    @Test
    void modifiedParametersAreCaught() {
        GradientEstimatorProvider p = estimator(Set.of(EstimatorCapability.BLACK_BOX), e -> wrap(e, c -> {
            c.theta()[0] += 1e-3f;
            return c;
        }, g -> g));
        fails(() -> estimatorContract(p).everyQueryIsCountedAndMatchesTheCostModel(), "read-only");
    }

    @Test
    void noiseNotKeyedBySeedAndStepIsCaught() {
        AtomicInteger calls = new AtomicInteger();
        GradientEstimatorProvider p = estimator(Set.of(EstimatorCapability.BLACK_BOX), e -> wrap(e,
                c -> new StepContext(c.evaluator(), c.theta(), c.rows(), c.seed(), c.step() + calls.getAndIncrement()),
                g -> g));
        fails(() -> estimatorContract(p).sameSeedGivesTheSameEstimate(), "gradient");
    }

    @Test
    void anActivationNoiseEstimatorThatAcceptsABlackBoxIsCaught() {
        GradientEstimatorProvider p = estimator(Set.of(EstimatorCapability.ACTIVATION_NOISE), e -> e);
        fails(() -> estimatorContract(p).undeclaredCapabilitiesFailWithTheDocumentedError(), "must refuse a black box");
    }

    // ---- backends ------------------------------------------------------------------------------------------

    /** A backend whose evaluators are built from the reference by a mapping. */
    private static BackendProvider backend(Function<QueryEvaluator, QueryEvaluator> defect) {
        return new BackendProvider() {
            @Override
            public String name() {
                return "defective";
            }

            @Override
            public int spiVersion() {
                return SPI_VERSION;
            }

            @Override
            public Availability availability() {
                return new Availability(true, false, "test");
            }

            @Override
            public java.util.Set<BackendCapability> capabilities() {
                return java.util.Set.of(BackendCapability.BLACK_BOX, BackendCapability.ACTIVATION_NOISE);
            }

            @Override
            public Backend create(Settings settings) {
                settings.reader("backend 'defective'").finish();
                return new Backend() {
                    @Override
                    public String device() {
                        return "test";
                    }

                    @Override
                    public QueryEvaluator evaluator(Objective objective) {
                        return defect.apply(new ReferenceQueryEvaluator(objective));
                    }
                };
            }
        };
    }

    private static BackendContractTest backendContract(BackendProvider p) {
        return new BackendContractTest() {
            @Override
            protected BackendProvider provider() {
                return p;
            }
        };
    }

    /** Delegates everything; subclasses override what they break. */
    private static class Delegating implements QueryEvaluator {
        final QueryEvaluator inner;

        Delegating(QueryEvaluator inner) {
            this.inner = inner;
        }

        @Override
        public Objective objective() {
            return inner.objective();
        }

        @Override
        public double[][] evaluate(float[] theta, WeightPlan plan) {
            return inner.evaluate(theta, plan);
        }


        @Override
        public ActivationPass evaluate(float[] theta, ActivationPlan plan) {
            return inner.evaluate(theta, plan);
        }
    }

    @Test
    void lossesOffByTenTimesTheToleranceAreCaught() {
        BackendProvider p = backend(e -> new Delegating(e) {
            @Override
            public double[][] evaluate(float[] theta, WeightPlan plan) {
                double[][] l = inner.evaluate(theta, plan);
                for (double[] q : l) {
                    for (int k = 0; k < q.length; k++) {
                        q[k] += 1e-4 * Math.max(1, Math.abs(q[k]));
                    }
                }
                return l;
            }
        });
        fails(() -> backendContract(p).weightPlansMatchTheReference(), "vs reference");
    }

    @Test
    void gradientAssemblyThatOverwritesInsteadOfAddingIsCaught() {
        BackendProvider p = backend(e -> new Delegating(e) {
            @Override
            public ActivationPass evaluate(float[] theta, ActivationPlan plan) {
                ActivationPass pass = inner.evaluate(theta, plan);
                return new ActivationPass() {
                    @Override
                    public double[] losses() {
                        return pass.losses();
                    }

                    @Override
                    public void accumulateGradient(double[] rowWeights, float[] gradient) {
                        java.util.Arrays.fill(gradient, 0f);
                        pass.accumulateGradient(rowWeights, gradient);
                    }

                    @Override
                    public double[] noiseEnergy() {
                        return pass.noiseEnergy();
                    }
                };
            }
        });
        fails(() -> backendContract(p).activationPlansMatchTheReference(), "assembled gradient");
    }

    @Test
    void availabilityThatThrowsIsCaught() {
        BackendProvider good = new ReferenceBackendProvider();
        BackendProvider p = new BackendProvider() {
            @Override
            public String name() {
                return good.name();
            }

            @Override
            public int spiVersion() {
                return SPI_VERSION;
            }

            @Override
            public Availability availability() {
                throw new IllegalStateException("no driver");
            }

            @Override
            public Backend create(Settings settings) {
                return good.create(settings);
            }
        };
        assertThatThrownBy(() -> backendContract(p).availabilityNeverThrowsAndExplainsItself())
                .isInstanceOf(IllegalStateException.class).hasMessage("no driver");
    }

    @Test
    void aBackendThatClaimsAvailabilityButCannotStartFails() {
        BackendProvider unavailable = new UnavailableBackendProvider();
        BackendProvider p = new BackendProvider() {
            @Override
            public String name() {
                return unavailable.name();
            }

            @Override
            public int spiVersion() {
                return SPI_VERSION;
            }

            @Override
            public Availability availability() {
                return new Availability(true, true, "claims a device");
            }

            @Override
            public Backend create(Settings settings) {
                return unavailable.create(settings);
            }
        };
        assertThatThrownBy(() -> backendContract(p).weightPlansMatchTheReference())
                .isInstanceOf(org.forward4j.plugin.BackendUnavailableException.class);
    }
}
