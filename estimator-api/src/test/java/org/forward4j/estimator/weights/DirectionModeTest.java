package org.forward4j.estimator.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.forward4j.plugin.Settings;
import org.junit.jupiter.api.Test;

/** Direction numbering and its limits (docs/method.md §2, direction sharing). */
class DirectionModeTest {

    @Test
    void sharedDirectionsAreTheDrawNumbers() {
        for (int point : new int[] {0, 1, 7, 100_000}) {
            for (int draw : new int[] {0, 1, 65535, 65536, Integer.MAX_VALUE - 1}) {
                assertThat(DirectionMode.SHARED.direction(point, draw)).isEqualTo(draw);
            }
        }
        assertThat(DirectionMode.SHARED.maxDrawsPerPoint()).isEqualTo(Integer.MAX_VALUE);
        assertThat(DirectionMode.SHARED.independentPerPoint()).isFalse();
    }

    @Test
    void perPointDirectionsAreStridedByPointAndUniqueUpToTheLimits() {
        assertThat(org.forward4j.noise.NoiseStream.STREAMS_PER_POINT).isEqualTo(65536);
        assertThat(DirectionMode.MAX_PER_POINT_BATCH).isEqualTo(32767);
        assertThat(DirectionMode.PER_POINT.maxDrawsPerPoint()).isEqualTo(65536);
        assertThat(DirectionMode.PER_POINT.independentPerPoint()).isTrue();
        assertThat(DirectionMode.PER_POINT.direction(0, 5)).isEqualTo(5);
        assertThat(DirectionMode.PER_POINT.direction(3, 2)).isEqualTo(3 * 65536 + 2);
        // the largest numbers stay non-negative ints
        assertThat(DirectionMode.PER_POINT.direction(32766, 65535)).isEqualTo(32766 * 65536 + 65535).isPositive();

        // the edges of neighbouring points never meet
        Set<Integer> seen = new HashSet<>();
        for (int point : new int[] {0, 1, 2, 32765, 32766}) {
            for (int draw : new int[] {0, 1, 65534, 65535}) {
                assertThat(seen.add(DirectionMode.PER_POINT.direction(point, draw)))
                        .as("direction of point %d draw %d is new", point, draw).isTrue();
            }
        }
    }

    @Test
    void numbersOutsideTheLimitsAreRejected() {
        assertThatThrownBy(() -> DirectionMode.PER_POINT.direction(0, 65536))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no per-point direction for draw 65536 of point 0 (points 0..32766, draws 0..65535)");
        assertThatThrownBy(() -> DirectionMode.PER_POINT.direction(32767, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("of point 32767");
        assertThatThrownBy(() -> DirectionMode.SHARED.direction(0, -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no shared direction for draw -1 of point 0 (both must be >= 0)");
        assertThatThrownBy(() -> DirectionMode.SHARED.direction(-1, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("of point -1");
    }

    @Test
    void isWrittenInKebabCaseInSettings() {
        assertThat(DirectionMode.SETTING).isEqualTo("directions");
        Settings.Reader reader = Settings.of(DirectionMode.SETTING, "per-point").reader("estimator 'test'");
        assertThat(reader.enumValue(DirectionMode.SETTING, DirectionMode.class, DirectionMode.SHARED))
                .isEqualTo(DirectionMode.PER_POINT);
        reader.finish();
        assertThat(Settings.kebab(DirectionMode.SHARED)).isEqualTo("shared");
        assertThat(Settings.kebab(DirectionMode.PER_POINT)).isEqualTo("per-point");
    }
}
