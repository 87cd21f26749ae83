/* The memory buffer behind test_encoder.c (see there). */
#ifndef TEST_ENCODER_H
#define TEST_ENCODER_H

#include <stddef.h>
#include <stdint.h>

#define TEST_TRACE_CAP (64u << 20)

extern uint8_t test_trace[TEST_TRACE_CAP];
extern size_t test_trace_len;
extern int test_encoder_fail_next;
extern uint64_t test_records_dropped;

void test_encoder_reset(void);

#endif
