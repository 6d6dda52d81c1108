import { DatasetSchema, ProjectParamsSchema } from '@bilinear-lab/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type ApiConfig, tuningOf } from '../../env.js';
import { projectFor } from '../../services/resources.js';
import { uploadDataset } from '../../services/upload-dataset.js';
import { datasetView } from '../../services/views.js';
import { errorResponses } from '../schemas.js';

/** Uploaded IDX datasets (MNIST layout), validated before they are stored. */
const datasetRoutes: FastifyPluginAsyncZod<{ config: ApiConfig }> = async (app, { config }) => {
  app.get(
    '/projects/:projectId/datasets',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Datasets uploaded to a project, newest first',
        params: ProjectParamsSchema,
        response: { 200: z.array(DatasetSchema), ...errorResponses },
      },
    },
    async (request) => {
      const { projectId } = request.params;
      await projectFor(app, request, projectId, 'read');
      const datasets = await app.db.dataset.findMany({
        where: { projectId },
        orderBy: { createdAt: 'desc' },
      });
      return datasets.map(datasetView);
    },
  );

  app.post(
    '/projects/:projectId/datasets',
    {
      schema: {
        tags: ['datasets'],
        summary:
          'Upload an IDX dataset: four "file" parts named train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (plain or .gz), optional fields "name" and "classes"',
        consumes: ['multipart/form-data'],
        params: ProjectParamsSchema,
        response: { 201: DatasetSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { projectId } = request.params;
      await projectFor(app, request, projectId, 'run');
      const dataset = await uploadDataset(app, request, projectId, {
        limitMb: config.uploadLimitMb,
        expandedLimitBytes: tuningOf(config).datasetExpandedBytes,
      });
      return reply.status(201).send(datasetView(dataset));
    },
  );
};

export default datasetRoutes;
