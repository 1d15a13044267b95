import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * Errors before a handler answers, in OFREP's shape: fastify's own codes are
 * FST_ERR_CTP_BODY_TOO_LARGE (413), FST_ERR_CTP_INVALID_MEDIA_TYPE (415), JSON syntax and route
 * schemas (400).
 */
export function protocolError(error: { statusCode?: number; message: string }, _request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode ?? 500;
  const code = status === 413 ? "PAYLOAD_TOO_LARGE" : status === 400 ? "PARSE_ERROR" : status === 415 ? "UNSUPPORTED_MEDIA_TYPE" : "GENERAL";
  void reply.code(status).send({ errorCode: code, errorDetails: error.message });
}
