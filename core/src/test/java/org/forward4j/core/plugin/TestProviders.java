package org.forward4j.core.plugin;

import org.forward4j.allocator.Allocations;
import org.forward4j.allocator.QueryAllocator;
import org.forward4j.allocator.spi.QueryAllocatorProvider;
import org.forward4j.plugin.Settings;

/** Allocator providers for classpath scenarios. Public with no-arg constructors so ServiceLoader can build them. */
public final class TestProviders {
    private TestProviders() {
    }

    /** A valid provider named {@code alpha}. */
    public static class Alpha implements QueryAllocatorProvider {
        /** For ServiceLoader. */
        public Alpha() {
        }

        @Override
        public String name() {
            return "alpha";
        }

        @Override
        public int spiVersion() {
            return SPI_VERSION;
        }

        @Override
        public QueryAllocator create(Settings settings) {
            return Allocations::uniform;
        }
    }

    /** A second provider that also claims {@code alpha}. */
    public static class AlphaTwin extends Alpha {
        /** For ServiceLoader. */
        public AlphaTwin() {
        }
    }

    /** A provider whose constructor throws. */
    public static class Exploding extends Alpha {
        /** For ServiceLoader; always throws. */
        public Exploding() {
            throw new IllegalStateException("boom in constructor");
        }
    }

    /** A provider built for another SPI version. */
    public static class FromTheFuture extends Alpha {
        /** For ServiceLoader. */
        public FromTheFuture() {
        }

        @Override
        public String name() {
            return "future";
        }

        @Override
        public int spiVersion() {
            return SPI_VERSION + 1;
        }
    }

    /** A provider with an invalid name. */
    public static class BadName extends Alpha {
        /** For ServiceLoader. */
        public BadName() {
        }

        @Override
        public String name() {
            return "Bad Name";
        }
    }
}
