/*
 * bench.h — `hvsim bench`: throughput figures of the model simulator.
 */
#ifndef SIM_BENCH_H
#define SIM_BENCH_H

int bench_main(int argc, char **argv);
/* `hvsim bench-iommu`: DMA translations per wall second, IOTLB hit ratio (bench_iommu.c). */
int bench_iommu_main(int argc, char **argv);
/* `hvsim bench-vmbus`: ring packets/bytes per wall second, storage I/O per simulated and wall second (bench_vmbus.c). */
int bench_vmbus_main(int argc, char **argv);

#endif /* SIM_BENCH_H */
