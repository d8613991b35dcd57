/*
 * vmbus_proto.h — VMBus wire numbers and layouts shared by the server
 * (root) and the clients (children): channel messages (Linux
 * `vmbus_channel_message_type`, facts hyperv-abi.md 5.3/5.4), device
 * class GUIDs (5.7), the vstor (storvsc/storvsp) and NVSP/RNDIS
 * (netvsc) inner protocols (6.1, 6.2), and how hvsim wires a child's
 * VMBus connection through the SynIC.
 *
 * SynIC wiring (made by the root's VMBus server when a VM starts):
 *   child -> root messages: child connections 1 (VMBUS_MESSAGE_CONNECTION_ID,
 *     versions < 5.0) and 4 (VMBUS_MESSAGE_CONNECTION_ID_4, INITIATE_CONTACT
 *     of 5.0 and later) to root port VMBUS_ROOT_MSG_PORT(vm): the root's
 *     VP 0, SINT 2; VERSION_RESPONSE names connection 1 as msg_conn_id;
 *   child -> root channel signals: each offer has its own connection id
 *     VMBUS_CHAN_CONN(relid) (OpenVMM's rule: relid | SINT << 12), wired
 *     to root event port VMBUS_ROOT_CHAN_PORT(vm, relid) with the single
 *     flag vm*16 + relid of the root's SINT 2 event flags: the guest
 *     signals flag 0 (Linux's sig_event), the root knows the channel by
 *     the bit. The shared connection 2 (VMBUS_EVENT_CONNECTION_ID, flag =
 *     relid) stays for guests that do not use dedicated interrupts;
 *   root -> child messages: root connection VMBUS_ROOT_MSG_CONN(vm) to the
 *     child's port VMBUS_CHILD_MSG_PORT (SINT 2 of the VP INITIATE_CONTACT
 *     names as target_vcpu);
 *   root -> child channel signals: per open channel, root connection
 *     VMBUS_ROOT_CHAN_CONN(vm, relid) to the child's event port
 *     VMBUS_CHILD_CHAN_PORT(relid) on the open's target VP (moved by
 *     MODIFYCHANNEL): flag = relid of its SINT 2 event flags (>= WIN8
 *     behaviour, no legacy interrupt page).
 * Freestanding.
 */
#ifndef MODELS_VMBUS_PROTO_H
#define MODELS_VMBUS_PROTO_H

#include <stdint.h>

#define VMBUS_MESSAGE_SINT 2
#define VMBUS_MESSAGE_CONNECTION_ID 1
#define VMBUS_EVENT_CONNECTION_ID 2
#define VMBUS_MESSAGE_CONNECTION_ID_4 4
#define VMBUS_CHAN_CONN(relid) ((uint32_t)(relid) | (uint32_t)VMBUS_MESSAGE_SINT << 12)
#define VMBUS_HV_MESSAGE_TYPE 1 /* HVMSG type of channel messages */
#define VMBUS_MAX_VM 127        /* root event flags: vm * 16 + relid < 2048 */
#define VMBUS_FLAGS_PER_VM 16
#define VMBUS_ROOT_MSG_PORT(vm) (0x100000u + (vm))
#define VMBUS_ROOT_EVENT_PORT(vm) (0x200000u + (vm))
#define VMBUS_ROOT_MSG_CONN(vm) (0x300000u + (vm))
#define VMBUS_ROOT_CHAN_PORT(vm, relid) (0x500000u + (vm) * VMBUS_FLAGS_PER_VM + (relid))
#define VMBUS_ROOT_CHAN_CONN(vm, relid) (0x600000u + (vm) * VMBUS_FLAGS_PER_VM + (relid))
#define VMBUS_CHILD_MSG_PORT 0x10u
#define VMBUS_CHILD_CHAN_PORT(relid) (0x20u + (relid))

/* Protocol versions (major << 16 | minor). 5.0 and later move
 * INITIATE_CONTACT to connection 4 and name the SINT of the host's
 * messages (msg_sint @16, which must be VMBUS_MESSAGE_SINT here); the
 * server speaks 2.4 (WIN8) to 5.3 (WS2022) and answers older or newer
 * requests "not supported" (the client falls back). */
#define VMBUS_VERSION_WIN8 0x00020004u
#define VMBUS_VERSION_WIN8_1 0x00030000u
#define VMBUS_VERSION_WIN10 0x00040000u
#define VMBUS_VERSION_WIN10_V4_1 0x00040001u
#define VMBUS_VERSION_WIN10_V5 0x00050000u
#define VMBUS_VERSION_WIN10_V5_1 0x00050001u
#define VMBUS_VERSION_WIN10_V5_2 0x00050002u
#define VMBUS_VERSION_WIN10_V5_3 0x00050003u

enum vmbus_channel_message_type {
  CHANNELMSG_INVALID = 0,
  CHANNELMSG_OFFERCHANNEL = 1,
  CHANNELMSG_RESCIND_CHANNELOFFER = 2,
  CHANNELMSG_REQUESTOFFERS = 3,
  CHANNELMSG_ALLOFFERS_DELIVERED = 4,
  CHANNELMSG_OPENCHANNEL = 5,
  CHANNELMSG_OPENCHANNEL_RESULT = 6,
  CHANNELMSG_CLOSECHANNEL = 7,
  CHANNELMSG_GPADL_HEADER = 8,
  CHANNELMSG_GPADL_BODY = 9,
  CHANNELMSG_GPADL_CREATED = 10,
  CHANNELMSG_GPADL_TEARDOWN = 11,
  CHANNELMSG_GPADL_TORNDOWN = 12,
  CHANNELMSG_RELID_RELEASED = 13,
  CHANNELMSG_INITIATE_CONTACT = 14,
  CHANNELMSG_VERSION_RESPONSE = 15,
  CHANNELMSG_UNLOAD = 16,
  CHANNELMSG_UNLOAD_RESPONSE = 17,
  CHANNELMSG_18 = 18, /* OPEN_RESERVED_CHANNEL (OpenVMM): no reserved channels here, ignored */
  CHANNELMSG_19 = 19, /* CLOSE_RESERVED_CHANNEL: ignored likewise */
  CHANNELMSG_20 = 20, /* CLOSE_RESERVED_RESPONSE: host to guest only */
  CHANNELMSG_TL_CONNECT_REQUEST = 21, /* hv_sock: refused with TL_CONNECT_RESULT */
  CHANNELMSG_MODIFYCHANNEL = 22,      /* >= 4.1: move a channel's interrupts to another VP */
  CHANNELMSG_TL_CONNECT_RESULT = 23,
  CHANNELMSG_MODIFYCHANNEL_RESPONSE = 24, /* sent from 5.3 on */
  CHANNELMSG_COUNT
};

/* Message sizes and field offsets (header: type u32 @0, padding u32 @4). */
#define VMBUS_MSG_HDR 8u
#define VMBUS_OFFER_BYTES 196u
#define VMBUS_OFFER_IF_TYPE 8u
#define VMBUS_OFFER_IF_INSTANCE 24u
#define VMBUS_OFFER_FLAGS 56u
#define VMBUS_OFFER_USER_DEF 60u
#define VMBUS_OFFER_SUBCHANNEL 180u
#define VMBUS_OFFER_RELID 184u
#define VMBUS_OFFER_MONITOR_ID 188u
#define VMBUS_OFFER_MONITOR_ALLOC 189u
#define VMBUS_OFFER_DEDICATED 190u
#define VMBUS_OFFER_CONNECTION_ID 192u
#define VMBUS_INITIATE_CONTACT_BYTES 40u
#define VMBUS_VERSION_RESPONSE_BYTES 16u
#define VMBUS_OPEN_BYTES 148u  /* relid @8, openid @12, gpadl @16, target_vp @20, downstream offset @24 */
#define VMBUS_OPEN_RESULT_BYTES 20u
#define VMBUS_RELID_MSG_BYTES 12u /* RESCIND, CLOSECHANNEL, RELID_RELEASED */
#define VMBUS_GPADL_HEADER_PFNS_AT 28u
#define VMBUS_GPADL_HEADER_MAX_PFNS 26u
#define VMBUS_GPADL_BODY_PFNS_AT 16u
#define VMBUS_GPADL_BODY_MAX_PFNS 28u
#define VMBUS_GPADL_CREATED_BYTES 20u
#define VMBUS_GPADL_TEARDOWN_BYTES 16u
#define VMBUS_GPADL_TORNDOWN_BYTES 12u
#define VMBUS_MODIFYCHANNEL_BYTES 16u /* relid @8, target_vp @12; the response: relid @8, status @12 */
#define VMBUS_TL_CONNECT_REQUEST_BYTES 40u /* endpoint GUID @8, service GUID @24 */
#define VMBUS_TL_CONNECT_RESULT_BYTES 44u  /* the same, then status i32 @40 */
#define VMBUS_STATUS_UNSUCCESSFUL 0xC0000001u /* NTSTATUS STATUS_UNSUCCESSFUL */
#define VMBUS_STATUS_INVALID_PARAMETER 0xC000000Du
#define VMBUS_STATUS_INSUFFICIENT_RESOURCES 0xC000009Au
#define VMBUS_STATUS_OBJECT_NAME_COLLISION 0xC0000035u /* a GPADL handle already in use */
#define VMBUS_STATUS_CONNECTION_REFUSED 0xC0000236u    /* no hv_sock service */

/* Device classes (Windows GUID byte order: Data1..3 little endian). */
#define VMBUS_GUID_STORAGE {0xd9, 0x63, 0x61, 0xba, 0xa1, 0x04, 0x29, 0x4d, 0xb6, 0x05, 0x72, 0xe2, 0xff, 0xb1, 0xdc, 0x7f}
#define VMBUS_GUID_NETWORK {0x63, 0x51, 0x61, 0xf8, 0x3e, 0xdf, 0xc5, 0x46, 0x91, 0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e}
#define VMBUS_GUID_HEARTBEAT {0x39, 0x4f, 0x16, 0x57, 0x15, 0x91, 0x78, 0x4e, 0xab, 0x55, 0x38, 0x2f, 0x3b, 0xd5, 0x42, 0x2d}
#define VMBUS_GUID_SHUTDOWN {0x31, 0x60, 0x0b, 0x0e, 0x13, 0x52, 0x34, 0x49, 0x81, 0x8b, 0x38, 0xd9, 0x0c, 0xed, 0x39, 0xdb}
#define VMBUS_GUID_TIMESYNC {0x30, 0xe6, 0x27, 0x95, 0xae, 0xd0, 0x7b, 0x49, 0xad, 0xce, 0xe8, 0x0a, 0xb0, 0x17, 0x5c, 0xaf}

/* Device kinds as hvsim numbers them (trace field, relid order). */
enum vmbus_dev {
  VMBUS_DEV_NONE = 0,
  VMBUS_DEV_STORAGE = 1,
  VMBUS_DEV_NETWORK = 2,
  VMBUS_DEV_HEARTBEAT = 3,
  VMBUS_DEV_SHUTDOWN = 4,
  VMBUS_DEV_TIMESYNC = 5,
  VMBUS_DEV_COUNT
};

/* ---- vstor (storvsc_drv.c naming) ---- */
enum vstor_operation {
  VSTOR_OPERATION_COMPLETE_IO = 1,
  VSTOR_OPERATION_REMOVE_DEVICE = 2,
  VSTOR_OPERATION_EXECUTE_SRB = 3,
  VSTOR_OPERATION_RESET_LUN = 4,
  VSTOR_OPERATION_RESET_ADAPTER = 5,
  VSTOR_OPERATION_RESET_BUS = 6,
  VSTOR_OPERATION_BEGIN_INITIALIZATION = 7,
  VSTOR_OPERATION_END_INITIALIZATION = 8,
  VSTOR_OPERATION_QUERY_PROTOCOL_VERSION = 9,
  VSTOR_OPERATION_QUERY_PROPERTIES = 10,
};
#define VSTOR_PROTO_VERSION_WIN10 0x0602u
#define VSTOR_REQUEST_COMPLETION_FLAG 1u
#define VSTOR_PACKET_BYTES 64u /* operation, flags, status, then the 52-byte SRB */
#define VSTOR_SRB_AT 12u
/* vmscsi_request (Win8+, 0x34 bytes), offsets inside the SRB */
#define SRB_LENGTH 0u
#define SRB_SRB_STATUS 2u
#define SRB_SCSI_STATUS 3u
#define SRB_CDB_LENGTH 8u
#define SRB_SENSE_LENGTH 9u
#define SRB_DATA_IN 10u
#define SRB_DATA_TRANSFER_LENGTH 12u
#define SRB_CDB 16u
#define SRB_BYTES 0x34u
#define SRB_PATH_ID 5u
#define SRB_TARGET_ID 6u
#define SRB_LUN 7u
#define SRB_SENSE_DATA 16u  /* the completion's sense data replaces the CDB (union, 20 bytes) */
#define SRB_SENSE_MAX 20u   /* STORVSC_SENSE_BUFFER_SIZE */
#define SRB_STATUS_SUCCESS 0x01u
#define SRB_STATUS_ERROR 0x04u
#define SRB_STATUS_INVALID_REQUEST 0x06u
#define SRB_STATUS_INVALID_LUN 0x20u       /* no device at this path/target/LUN (Linux: DID_NO_CONNECT) */
#define SRB_STATUS_AUTOSENSE_VALID 0x80u   /* or'ed in: sense data in the completion */
#define SCSI_STATUS_GOOD 0x00u
#define SCSI_STATUS_CHECK_CONDITION 0x02u
#define STATUS_SUCCESS 0u
#define SCSI_TEST_UNIT_READY 0x00u
#define SCSI_MODE_SENSE_6 0x1Au
#define SCSI_MODE_SENSE_10 0x5Au
#define SCSI_SYNCHRONIZE_CACHE_16 0x91u
#define SCSI_SERVICE_ACTION_IN_16 0x9Eu /* service action 0x10: READ CAPACITY(16) */
#define SCSI_SAI_READ_CAPACITY_16 0x10u
#define SCSI_REPORT_LUNS 0xA0u
#define SCSI_SENSE_ILLEGAL_REQUEST 0x05u
#define SCSI_SENSE_MEDIUM_ERROR 0x03u
#define SCSI_ASC_INVALID_OPCODE 0x20u
#define SCSI_ASC_LBA_OUT_OF_RANGE 0x21u
#define SCSI_ASC_INVALID_FIELD_IN_CDB 0x24u
#define SCSI_ASC_UNRECOVERED_READ 0x11u
#define SCSI_ASC_WRITE_ERROR 0x0Cu
#define SCSI_INQUIRY 0x12u
#define SCSI_READ_CAPACITY_10 0x25u
#define SCSI_READ_10 0x28u
#define SCSI_WRITE_10 0x2Au
#define SCSI_SYNCHRONIZE_CACHE_10 0x35u
#define SCSI_READ_16 0x88u
#define SCSI_WRITE_16 0x8Au
#define VSTOR_MAX_TRANSFER 65536u

/* ---- NVSP / RNDIS (netvsc) ---- */
#define NVSP_MSG_TYPE_INIT 1u
#define NVSP_MSG_TYPE_INIT_COMPLETE 2u
#define NVSP_MSG1_TYPE_SEND_NDIS_VERSION 100u
#define NVSP_MSG1_TYPE_SEND_RECV_BUF 101u
#define NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE 102u
#define NVSP_MSG1_TYPE_REVOKE_RECV_BUF 103u
#define NVSP_MSG1_TYPE_SEND_SEND_BUF 104u
#define NVSP_MSG1_TYPE_SEND_SEND_BUF_COMPLETE 105u
#define NVSP_MSG1_TYPE_REVOKE_SEND_BUF 106u
#define NVSP_MSG1_TYPE_SEND_RNDIS_PKT 107u
#define NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE 108u
#define NVSP_PROTOCOL_VERSION_1 0x00000002u
#define NVSP_PROTOCOL_VERSION_61 0x00060001u
#define NVSP_STAT_SUCCESS 1u
#define NVSP_STAT_FAIL 2u
#define NVSP_MSG_BYTES 32u      /* our NVSP messages: padded to 32 */
#define NVSP_CHANNEL_DATA 0u   /* SEND_RNDIS_PKT channel_type */
#define NVSP_CHANNEL_CONTROL 1u
#define RNDIS_MSG_PACKET 1u     /* REMOTE_NDIS_PACKET_MSG */
#define RNDIS_PACKET_HDR 44u    /* type, len, data_offset, data_len, oob x3, ppi x2, vc_handle, reserved */
/* RNDIS control messages (type, length, request id, ...) and their
 * completions (type | 0x80000000, length, request id, status, ...). */
#define RNDIS_MSG_INIT 2u       /* major, minor, max transfer size */
#define RNDIS_MSG_HALT 3u
#define RNDIS_MSG_QUERY 4u      /* oid, info length, info offset (from the request id), vc handle */
#define RNDIS_MSG_SET 5u        /* the same, then the info buffer */
#define RNDIS_MSG_RESET 6u
#define RNDIS_MSG_KEEPALIVE 8u
#define RNDIS_MSG_COMPLETION 0x80000000u
#define RNDIS_CTL_HDR 12u
#define RNDIS_INIT_CMPLT_BYTES 52u /* + status, major, minor, flags, medium, max packets, max transfer, alignment, 2 x 0 */
#define RNDIS_STATUS_SUCCESS 0u
#define RNDIS_STATUS_FAILURE 0xC0000001u
#define RNDIS_STATUS_NOT_SUPPORTED 0xC00000BBu
#define RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE 0x00010106u
#define RNDIS_OID_GEN_LINK_SPEED 0x00010107u
#define RNDIS_OID_GEN_CURRENT_PACKET_FILTER 0x0001010Eu
#define RNDIS_OID_GEN_MEDIA_CONNECT_STATUS 0x00010114u
#define RNDIS_OID_802_3_PERMANENT_ADDRESS 0x01010101u
#define RNDIS_OID_802_3_CURRENT_ADDRESS 0x01010102u
#define RNDIS_FILTER_DIRECTED 0x01u /* NDIS_PACKET_TYPE_* */
#define RNDIS_FILTER_MULTICAST 0x02u
#define RNDIS_FILTER_ALL_MULTICAST 0x04u
#define RNDIS_FILTER_BROADCAST 0x08u
#define RNDIS_FILTER_PROMISCUOUS 0x20u
#define NETVSC_RECV_SECTION 2048u
#define NETVSC_SEND_SECTION 6144u /* the send buffer's section size the host announces (Linux's default) */
#define NVSP_NO_SECTION 0xFFFFFFFFu /* SEND_RNDIS_PKT: the message is in a GPA-direct range, not a section */
#define NETVSC_FRAME_MAX 1514u
#define NETVSC_XFER_PAGESET_ID 0xCAFEu
#define VM_PKT_DATA_USING_XFER_PAGES 0x7

#endif /* MODELS_VMBUS_PROTO_H */
