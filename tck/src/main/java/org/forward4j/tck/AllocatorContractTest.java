package org.forward4j.tck;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.forward4j.allocator.Allocation;
import org.forward4j.allocator.AllocationRequest;
import org.forward4j.allocator.QueryAllocator;
import org.forward4j.allocator.spi.QueryAllocatorProvider;
import org.forward4j.plugin.Settings;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link QueryAllocatorProvider} and its {@link QueryAllocator} must honour (docs/method.md §1,
 * §3.4). A plugin proves itself with a three-line subclass in its tests:
 *
 * <pre>{@code
 * class MyAllocatorContractTest extends AllocatorContractTest {
 *     @Override protected QueryAllocatorProvider provider() { return new MyAllocatorProvider(); }
 * }
 * }</pre>
 *
 * <p>Checked: registration in {@code META-INF/services} and discovery by name, kebab-case name and SPI version,
 * settings validation, and on {@value #STEPS} random requests ({@link Fixtures#allocationScenario}) with
 * synthetic statistics fed back after every step: the exact budget, the bounds, determinism for a seed,
 * invariance to the order of the batch, and that saved state restores the same behaviour.
 */
public abstract class AllocatorContractTest {

    /** Random allocation steps per check. */
    public static final int STEPS = 300;

    /** Creates the test. */
    protected AllocatorContractTest() {
    }

    /**
     * The provider under test, freshly constructed (as ServiceLoader would).
     *
     * @return the provider
     */
    protected abstract QueryAllocatorProvider provider();

    /**
     * The settings the allocator is created with in every check (default: none, so the defaults are tested).
     *
     * @return the allocator's own settings, keys without the {@code forward4j.allocator.} prefix
     */
    protected Settings settings() {
        return Settings.empty();
    }

    /**
     * The seed of the random requests; failures print it.
     *
     * @return the seed
     */
    protected long seed() {
        return 0x5EEDL;
    }

    /** The provider is listed in {@code META-INF/services} and ServiceLoader finds it under its name. */
    @Test
    public void registeredInMetaInfServicesAndDiscoveredByName() {
        ProviderChecks.discoverable(QueryAllocatorProvider.class, provider());
    }

    /** The name is lower-case kebab case and the SPI version is {@link QueryAllocatorProvider#SPI_VERSION}. */
    @Test
    public void nameIsKebabCaseAndSpiVersionMatches() {
        ProviderChecks.nameAndVersion(provider(), QueryAllocatorProvider.SPI_VERSION);
    }

    /** {@code create} builds new instances and rejects an unknown setting, naming the key. */
    @Test
    public void settingsAreValidatedAndUnknownKeysRejected() {
        ProviderChecks.validatesSettings(provider(), settings());
    }

    /**
     * On many random requests, with statistics observed after each step: every allocation has one entry per point,
     * {@code minDraws <= A_i <= maxDraws} and {@code sum A_i == totalDraws} exactly.
     */
    @Test
    public void budgetAndBoundsHoldExactlyOnRandomRequests() {
        QueryAllocator allocator = provider().create(settings());
        for (int t = 0; t < STEPS; t++) {
            AllocationRequest r = Fixtures.allocationScenario(seed(), t).request();
            Allocation a = allocator.allocate(r);
            String where = where(t, r);
            assertThat(a).as("allocation, %s", where).isNotNull();
            assertThat(a.size()).as("entries, %s", where).isEqualTo(r.batchSize());
            for (int i = 0; i < r.batchSize(); i++) {
                assertThat(a.draws(i)).as("draws of point %d, %s", i, where).isBetween(r.minDraws(), r.maxDraws());
            }
            assertThat(a.total()).as("sum of draws, %s", where).isEqualTo(r.totalDraws());
            allocator.observe(Fixtures.statistics(r, a));
        }
    }

    /**
     * Two instances created with the same settings and fed the same requests and statistics allocate identically:
     * all randomness comes from the request's seed and step.
     */
    @Test
    public void sameSeedGivesTheSameAllocations() {
        QueryAllocator first = provider().create(settings());
        QueryAllocator twin = provider().create(settings());
        for (int t = 0; t < STEPS; t++) {
            AllocationRequest r = Fixtures.allocationScenario(seed(), t).request();
            Allocation a = first.allocate(r);
            assertThat(twin.allocate(r)).as("determinism, %s", where(t, r)).isEqualTo(a);
            first.observe(Fixtures.statistics(r, a));
            twin.observe(Fixtures.statistics(r, a));
        }
    }

    /**
     * A permuted batch (same points, proxies and statistics in another order) gets the permuted allocation: the
     * engine's batch order carries no meaning, so it must not change which point gets how many draws.
     */
    @Test
    public void permutedBatchGetsThePermutedAllocation() {
        QueryAllocator inOrder = provider().create(settings());
        QueryAllocator permuted = provider().create(settings());
        for (int t = 0; t < STEPS; t++) {
            Fixtures.AllocationScenario s = Fixtures.allocationScenario(seed(), t);
            AllocationRequest r = s.request();
            Allocation a = inOrder.allocate(r);
            Allocation p = permuted.allocate(s.permuted());
            int[] perm = s.permutation();
            for (int j = 0; j < perm.length; j++) {
                assertThat(p.draws(j))
                        .as("permuted position %d holds point %d (id %d), %s", j, perm[j], r.pointId(perm[j]),
                                where(t, r))
                        .isEqualTo(a.draws(perm[j]));
            }
            inOrder.observe(Fixtures.statistics(r, a));
            permuted.observe(Fixtures.statistics(s.permuted(), p));
        }
    }

    /**
     * An allocator restored from {@code saveState()} (a checkpoint) allocates exactly like the one that saved it,
     * at the start and after learning.
     */
    @Test
    public void restoredStateAllocatesLikeTheOriginal() {
        QueryAllocator original = provider().create(settings());
        for (int t = 0; t < STEPS; t++) {
            AllocationRequest r = Fixtures.allocationScenario(seed(), t).request();
            QueryAllocator restored = null;
            if (t % 50 == 0) {
                Map<String, double[]> state = original.saveState();
                assertThat(state).as("saveState() at step %d, seed %d", t, seed()).isNotNull();
                restored = provider().create(settings());
                restored.restoreState(state);
            }
            Allocation a = original.allocate(r);
            if (restored != null) {
                assertThat(restored.allocate(r)).as("after restoreState, %s", where(t, r)).isEqualTo(a);
            }
            original.observe(Fixtures.statistics(r, a));
        }
    }

    private String where(int t, AllocationRequest r) {
        return "allocator '" + provider().name() + "' with " + settings() + ", step " + t + " " + r + ", seed "
                + seed();
    }
}
