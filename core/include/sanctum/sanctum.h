/* The umbrella header of libsanctum. */
#ifndef SANCTUM_H
#define SANCTUM_H

#include "common.h"
#include "errors.h"
#include "buf.h"
#include "age.h"
#include "sshsig.h"
#include "identity.h"
#include "doc.h"
#include "store.h"
#include "conflicts.h"
#include "history.h"
#include "members.h"
#include "verify.h"
#include "invite.h"

#endif
