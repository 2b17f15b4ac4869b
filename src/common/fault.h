/* fault.h: crash-safety checkpoints (tests/crash).
 *
 * In a build with -Dfault_injection=true, CX_FAULT("step") counts the
 * checkpoints a process passes; CAPSA_FAULT_STEP=N makes the Nth one
 * raise SIGKILL, and CAPSA_FAULT_TRACE=FILE appends "N step" for each one
 * passed (the test learns the steps from a clean run).  In every other
 * build CX_FAULT is nothing. */
#ifndef CAPSA_FAULT_H
#define CAPSA_FAULT_H

#ifdef CAPSA_FAULT_INJECTION
void cx_fault_point(const char *step);
#define CX_FAULT(step) cx_fault_point(step)
#else
#define CX_FAULT(step) ((void) 0)
#endif

#endif
